/* Pure parsers for ICAP (RFC 3507) and the HTTP header blocks it carries:
 * the request line and headers, the Encapsulated list, chunk-size lines.
 * No I/O and no allocation: callers hand in a complete header block (read
 * with a size bound) and get views into it. Every count and length is
 * bounded here, so the session code and the fuzzer share one set of checks. */
#ifndef MG_ICAP_PARSE_H
#define MG_ICAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_ICAP_MAX_HEADERS 64          /* per ICAP or HTTP header block */
#define MG_ICAP_MAX_HEAD_BYTES 16384    /* the ICAP header block, request line included */
#define MG_ICAP_MAX_ENCAP_BYTES 65536   /* req-hdr + res-hdr together */
#define MG_ICAP_MAX_URI 2048

enum mg_icap_method { MG_ICAP_M_OTHER = 0, MG_ICAP_M_OPTIONS, MG_ICAP_M_REQMOD, MG_ICAP_M_RESPMOD };

enum mg_icap_perr {
    MG_ICAP_P_OK = 0,
    MG_ICAP_P_BAD_LINE,       /* request or status line malformed */
    MG_ICAP_P_BAD_VERSION,    /* not ICAP/1.x (HTTP/1.x for HTTP blocks) */
    MG_ICAP_P_BAD_HEADER,     /* header without colon, bad name, bare CR, NUL ... */
    MG_ICAP_P_TOO_MANY,       /* more than MG_ICAP_MAX_HEADERS */
    MG_ICAP_P_TOO_LONG,       /* over a byte bound */
    MG_ICAP_P_NO_END,         /* block does not end with an empty line */
};

struct mg_icap_hdr {
    const char *name;
    size_t name_len;
    const char *value;         /* leading and trailing blanks trimmed */
    size_t value_len;
};

/* A header block: a first line and headers, views into the caller's bytes.
 * Obsolete line folding (a line starting with a blank) is refused: it is
 * where request smuggling lives. */
struct mg_icap_head {
    const char *line;          /* first line without CRLF */
    size_t line_len;
    struct mg_icap_hdr hdrs[MG_ICAP_MAX_HEADERS];
    size_t n_hdrs;
    size_t total;              /* bytes consumed, the final CRLFCRLF included */
};

struct mg_icap_req {
    struct mg_icap_head head;
    enum mg_icap_method method;
    const char *method_name;
    size_t method_len;
    const char *uri;           /* icap://host[:port]/service[?args] */
    size_t uri_len;
    const char *service;       /* path of the URI, starting with '/', no query */
    size_t service_len;
};

/* Where the length of the complete block is known (up to and including the
 * empty line): data[0..len) must be exactly that block. */
enum mg_icap_perr mg_icap_parse_head(const char *data, size_t len, struct mg_icap_head *out);
/* Length of the header block at the start of data (through CRLFCRLF, or LF LF
 * which the parser then refuses),
 * 0 when not complete yet. */
size_t mg_icap_head_end(const char *data, size_t len);
enum mg_icap_perr mg_icap_parse_request(const char *data, size_t len, struct mg_icap_req *out);

/* Case-insensitive lookup; NULL when absent. With dup, *dup is set when the
 * name occurs more than once (callers refuse duplicates of framing headers). */
const struct mg_icap_hdr *mg_icap_head_get(const struct mg_icap_head *h, const char *name,
                                           bool *dup);
/* Copies a header's value as a C string (truncated to size-1); false when absent. */
bool mg_icap_head_copy(const struct mg_icap_head *h, const char *name, char *out, size_t size);
/* Does a comma-separated header value contain token (case-insensitive)? */
bool mg_icap_value_has_token(const char *v, size_t len, const char *token);
/* Strict decimal (digits only, no sign, at most 18 digits). */
bool mg_icap_parse_uint(const char *s, size_t len, uint64_t *out);

/* The Encapsulated header (RFC 3507 4.4.1). */
enum mg_icap_body_kind { MG_ICAP_B_NONE = 0, MG_ICAP_B_NULL, MG_ICAP_B_REQ, MG_ICAP_B_RES, MG_ICAP_B_OPT };
struct mg_icap_encap {
    bool has_req_hdr, has_res_hdr;
    size_t req_hdr, res_hdr;   /* offsets */
    enum mg_icap_body_kind body;
    size_t body_off;           /* offset of the body entity = length of the header part */
    bool too_large;            /* refused because an offset is over MG_ICAP_MAX_ENCAP_BYTES */
};
/* Checks the grammar and the order rules: req-hdr, then res-hdr, then
 * exactly one body entity last; offsets strictly increasing, the first 0,
 * the total within MG_ICAP_MAX_ENCAP_BYTES; which entities the method
 * allows (REQMOD: no res-hdr, no res-body; RESPMOD: no req-body). */
bool mg_icap_parse_encapsulated(const char *v, size_t len, enum mg_icap_method m,
                                struct mg_icap_encap *out);

/* One chunk-size line of a chunked body, without its CRLF:
 * 1*HEX [ *WSP ";" extensions ]. Sizes up to 2^60; "ieof" among the
 * extensions sets *ieof (RFC 3507 4.5). */
bool mg_icap_parse_chunk_line(const char *line, size_t len, uint64_t *size, bool *ieof);

/* The status code of an HTTP status line ("HTTP/1.1 206 Partial Content"). */
bool mg_icap_http_status(const char *line, size_t len, int *code);
/* The path of an HTTP request line's target ("GET http://h/a/b.pdf?x HTTP/1.1"
 * gives "/a/b.pdf"), as a view; false when it has none. */
bool mg_icap_http_target_path(const char *line, size_t len, const char **path, size_t *plen);
/* The file name a Content-Disposition value gives (filename*=UTF-8''... decoded,
 * else filename="..."), written to out as UTF-8; false when none. Path parts
 * are cut off (only the last segment is kept). */
bool mg_icap_disposition_filename(const char *v, size_t len, char *out, size_t size);

#endif
