/* libFuzzer harness for the ICAP parsers (proto/icap/icap_parse.c): the
 * request header block, its Encapsulated header, the encapsulated HTTP
 * header blocks at the offsets it names, and chunk-size lines. The input is
 * used the way the session uses it: head_end finds the block, the rest
 * follows as encapsulated headers and chunk lines. */
#include <stdlib.h>
#include <string.h>

#include "proto/icap/icap_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data;
    size_t end = mg_icap_head_end(d, size);
    if (end == 0 || end > MG_ICAP_MAX_HEAD_BYTES)
        end = size < MG_ICAP_MAX_HEAD_BYTES ? size : MG_ICAP_MAX_HEAD_BYTES;
    /* A private copy of exactly the block, so ASan sees any over-read. */
    char *blk = malloc(end ? end : 1);
    if (!blk)
        return 0;
    memcpy(blk, d, end);
    struct mg_icap_req req;
    if (mg_icap_parse_request(blk, end, &req) == MG_ICAP_P_OK) {
        if (req.head.total != end || req.service_len == 0 || req.service[0] != '/')
            __builtin_trap();
        bool dup;
        const struct mg_icap_hdr *enc = mg_icap_head_get(&req.head, "Encapsulated", &dup);
        struct mg_icap_encap e;
        if (enc && mg_icap_parse_encapsulated(enc->value, enc->value_len, req.method, &e)) {
            if (e.body_off > MG_ICAP_MAX_ENCAP_BYTES ||
                (e.has_req_hdr && e.has_res_hdr && e.req_hdr >= e.res_hdr) ||
                (e.has_res_hdr && e.res_hdr >= e.body_off && e.body_off != 0))
                __builtin_trap();
            size_t rest = size - end;
            if (e.body_off <= rest) {
                char *h = malloc(e.body_off ? e.body_off : 1);
                if (h) {
                    memcpy(h, d + end, e.body_off);
                    struct mg_icap_head hh;
                    if (e.has_req_hdr) {
                        size_t stop = e.has_res_hdr ? e.res_hdr : e.body_off;
                        (void)mg_icap_parse_head(h + e.req_hdr, stop - e.req_hdr, &hh);
                        const char *p;
                        size_t pl;
                        if (hh.line_len && mg_icap_http_target_path(hh.line, hh.line_len, &p, &pl) &&
                            (pl == 0 || p[0] != '/'))
                            __builtin_trap();
                    }
                    if (e.has_res_hdr) {
                        if (mg_icap_parse_head(h + e.res_hdr, e.body_off - e.res_hdr, &hh) == MG_ICAP_P_OK) {
                            int code;
                            (void)mg_icap_http_status(hh.line, hh.line_len, &code);
                            const struct mg_icap_hdr *cd = mg_icap_head_get(&hh, "Content-Disposition", NULL);
                            char name[256];
                            if (cd && mg_icap_disposition_filename(cd->value, cd->value_len, name, sizeof(name)) &&
                                (strchr(name, '/') || strlen(name) >= sizeof(name)))
                                __builtin_trap();
                        }
                    }
                    free(h);
                }
            }
        }
        const struct mg_icap_hdr *a = mg_icap_head_get(&req.head, "Allow", NULL);
        if (a)
            (void)mg_icap_value_has_token(a->value, a->value_len, "204");
    }
    free(blk);
    /* Every line of the input as a chunk-size line. */
    size_t s = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n') {
            size_t n = i - s;
            char *line = malloc(n ? n : 1);
            if (line) {
                memcpy(line, d + s, n);
                uint64_t cs;
                bool ieof;
                if (mg_icap_parse_chunk_line(line, n, &cs, &ieof) && cs >= ((uint64_t)1 << 60))
                    __builtin_trap();
                free(line);
            }
            s = i + 1;
        }
    }
    return 0;
}
