/* Minimal JSON writer into an mg_buf: objects, arrays, strings, numbers.
 * Strings are escaped and always valid UTF-8 (invalid bytes become U+FFFD),
 * so a hostile file name cannot break a report or an audit line. */
#ifndef MG_CORE_JSON_H
#define MG_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define MG_JSON_MAX_DEPTH 64

struct mg_json {
    struct mg_buf *out;
    unsigned depth;
    bool first[MG_JSON_MAX_DEPTH];
    bool failed;
};

void mg_json_init(struct mg_json *j, struct mg_buf *out);
/* key is NULL inside arrays and at the top level. */
void mg_json_obj_begin(struct mg_json *j, const char *key);
void mg_json_obj_end(struct mg_json *j);
void mg_json_arr_begin(struct mg_json *j, const char *key);
void mg_json_arr_end(struct mg_json *j);
void mg_json_str(struct mg_json *j, const char *key, const char *val); /* NULL val -> null */
void mg_json_strn(struct mg_json *j, const char *key, const char *val, size_t len);
void mg_json_int(struct mg_json *j, const char *key, int64_t val);
void mg_json_uint(struct mg_json *j, const char *key, uint64_t val);
void mg_json_double(struct mg_json *j, const char *key, double val);
void mg_json_bool(struct mg_json *j, const char *key, bool val);
void mg_json_null(struct mg_json *j, const char *key);
/* Appends s escaped, with quotes, to b. */
void mg_json_escape(struct mg_buf *b, const char *s, size_t len);
bool mg_json_failed(const struct mg_json *j);

#endif
