/* The report actions one HTML conversion stands for, so that the html and
 * mail sanitizers record them alike. Needs the engine contract (unlike
 * html_text.h, which is pure). */
#ifndef MG_SANITIZERS_HTML_ACTIONS_H
#define MG_SANITIZERS_HTML_ACTIONS_H

#include "engine/contract.h"
#include "sanitizers/html/html_text.h"

/* Records html-to-text and, for what the stats counted, script-removed,
 * action-removed (meta refresh), ole-removed (frames, objects),
 * form-removed, image-removed, external-removed (links not written) and
 * control-stripped. Details are markup and schemes with counts
 * ("<script> ×2, on*= ×1"), the same in every language. */
void mg_html_record_actions(struct mg_item *it, const struct mg_html_stats *st);

#endif
