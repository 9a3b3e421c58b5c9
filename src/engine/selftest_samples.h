/* Generators of the selftest corpus (engine/selftest.h); each appends one
 * sample to out and returns false when it could not be built. */
#ifndef MG_ENGINE_SELFTEST_SAMPLES_H
#define MG_ENGINE_SELFTEST_SAMPLES_H

#include <stdbool.h>

#include "core/buf.h"

bool mg_sample_docm(struct mg_buf *out);
bool mg_sample_dde(struct mg_buf *out);
bool mg_sample_template(struct mg_buf *out);
bool mg_sample_pdf_js(struct mg_buf *out);
bool mg_sample_pdf_launch(struct mg_buf *out);
bool mg_sample_pdf_embedded(struct mg_buf *out);
bool mg_sample_rtf(struct mg_buf *out);
bool mg_sample_nested_zip(struct mg_buf *out);
bool mg_sample_ppap(struct mg_buf *out);
bool mg_sample_mail_2022(struct mg_buf *out);
bool mg_sample_eicar(struct mg_buf *out);
bool mg_sample_exe_as_pdf(struct mg_buf *out);
void mg_sample_pe(struct mg_buf *out);

#endif
