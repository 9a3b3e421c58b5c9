/* libxml2 side of the OOXML sanitizer: parse parts safely (no network, no
 * DTD, no entity substitution, DOCTYPE refused), serialize edited parts,
 * and the edits themselves: drop elements that point at removed
 * relationships, strip DDE and fetching fields while keeping their result
 * text, drop auto-run defined names. */
#ifndef MG_OOXML_XML_H
#define MG_OOXML_XML_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/contract.h"

#define MG_NS_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define MG_NS_R_STRICT "http://purl.oclc.org/ooxml/officeDocument/relationships"

typedef void (*mg_ooxml_report_fn)(void *ud, enum mg_action a, const char *detail);
typedef bool (*mg_ooxml_id_fn)(void *ud, const char *id);

/* NULL when the bytes are not well-formed XML or carry a DOCTYPE. */
xmlDoc *mg_ooxml_xml_parse(const uint8_t *data, size_t len);
/* Serialized UTF-8 in a malloc'd buffer. */
bool mg_ooxml_xml_dump(xmlDoc *doc, uint8_t **out, size_t *len);

/* Removes (or unwraps, for w:hyperlink) every element with an r:* attribute
 * whose id removed() says is gone; r:link attributes are dropped alone.
 * Returns how many references were removed. */
size_t mg_ooxml_xml_drop_refs(xmlDoc *doc, mg_ooxml_id_fn removed, void *ud);

/* DDE, DDEAUTO (and field codes assembled from nested fields) are reported
 * as DDE_REMOVED; INCLUDETEXT, INCLUDEPICTURE, IMPORT and LINK as
 * EXTERNAL_REMOVED. The instruction goes, the displayed result stays.
 * max_fields bounds the work. Returns the number removed, or (size_t)-1
 * when the part has more fields than max_fields. */
size_t mg_ooxml_xml_strip_fields(xmlDoc *doc, size_t max_fields, mg_ooxml_report_fn report, void *ud);

/* SpreadsheetML workbook, before drop_refs removes sheets whose r:id is
 * gone: drops defined names scoped to those sheets, renumbers the other
 * localSheetId values and keeps activeTab/firstSheet in range, so Excel
 * does not have to repair the file. Returns the number of sheets removed. */
size_t mg_ooxml_xml_fix_sheet_indexes(xmlDoc *doc, mg_ooxml_id_fn removed, void *ud);

/* SpreadsheetML definedName Auto_Open/Auto_Close...: XLM auto-run names. */
size_t mg_ooxml_xml_strip_auto_names(xmlDoc *doc, mg_ooxml_report_fn report, void *ud);

/* First attribute value with this local name (any namespace), or NULL. */
const char *mg_ooxml_xml_attr(const xmlNode *n, const char *local);

#endif
