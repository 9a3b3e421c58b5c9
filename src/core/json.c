#include "core/json.h"

#include <math.h>
#include <string.h>

#include "core/utf8.h"

void mg_json_init(struct mg_json *j, struct mg_buf *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
    j->first[0] = true;
}

bool mg_json_failed(const struct mg_json *j)
{
    return j->failed || mg_buf_failed(j->out);
}

void mg_json_escape(struct mg_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)s;
    const uint8_t *end = p + len;
    mg_buf_putc(b, '"');
    while (p < end) {
        uint8_t c = *p;
        if (c < 0x80) {
            switch (c) {
            case '"': mg_buf_puts(b, "\\\""); break;
            case '\\': mg_buf_puts(b, "\\\\"); break;
            case '\n': mg_buf_puts(b, "\\n"); break;
            case '\r': mg_buf_puts(b, "\\r"); break;
            case '\t': mg_buf_puts(b, "\\t"); break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
                    mg_buf_append(b, e, sizeof(e));
                } else {
                    mg_buf_putc(b, c);
                }
            }
            p++;
            continue;
        }
        size_t n = mg_utf8_valid_prefix(p, (size_t)(end - p));
        if (n == 0) {
            mg_buf_puts(b, "\xEF\xBF\xBD");
            p++;
        } else {
            mg_buf_append(b, p, n);
            p += n;
        }
    }
    mg_buf_putc(b, '"');
}

static void sep(struct mg_json *j, const char *key)
{
    if (!j->first[j->depth])
        mg_buf_putc(j->out, ',');
    j->first[j->depth] = false;
    if (key) {
        mg_json_escape(j->out, key, strlen(key));
        mg_buf_putc(j->out, ':');
    }
}

static void open_(struct mg_json *j, const char *key, char c)
{
    sep(j, key);
    mg_buf_putc(j->out, (uint8_t)c);
    if (j->depth + 1 >= MG_JSON_MAX_DEPTH) {
        j->failed = true;
        return;
    }
    j->depth++;
    j->first[j->depth] = true;
}

static void close_(struct mg_json *j, char c)
{
    if (j->depth == 0) {
        j->failed = true;
        return;
    }
    j->depth--;
    mg_buf_putc(j->out, (uint8_t)c);
}

void mg_json_obj_begin(struct mg_json *j, const char *key) { open_(j, key, '{'); }
void mg_json_obj_end(struct mg_json *j) { close_(j, '}'); }
void mg_json_arr_begin(struct mg_json *j, const char *key) { open_(j, key, '['); }
void mg_json_arr_end(struct mg_json *j) { close_(j, ']'); }

void mg_json_strn(struct mg_json *j, const char *key, const char *val, size_t len)
{
    sep(j, key);
    if (val == NULL)
        mg_buf_puts(j->out, "null");
    else
        mg_json_escape(j->out, val, len);
}

void mg_json_str(struct mg_json *j, const char *key, const char *val)
{
    mg_json_strn(j, key, val, val ? strlen(val) : 0);
}

void mg_json_int(struct mg_json *j, const char *key, int64_t val)
{
    sep(j, key);
    mg_buf_printf(j->out, "%lld", (long long)val);
}

void mg_json_uint(struct mg_json *j, const char *key, uint64_t val)
{
    sep(j, key);
    mg_buf_printf(j->out, "%llu", (unsigned long long)val);
}

void mg_json_double(struct mg_json *j, const char *key, double val)
{
    sep(j, key);
    if (!isfinite(val))
        mg_buf_puts(j->out, "null");
    else
        mg_buf_printf(j->out, "%.6g", val);
}

void mg_json_bool(struct mg_json *j, const char *key, bool val)
{
    sep(j, key);
    mg_buf_puts(j->out, val ? "true" : "false");
}

void mg_json_null(struct mg_json *j, const char *key)
{
    sep(j, key);
    mg_buf_puts(j->out, "null");
}
