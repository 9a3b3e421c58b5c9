/* Internal to the charset module: the CP932 table, JIS arithmetic and the
 * individual decoders. Not for use outside src/scan/charset*.c and tests. */
#ifndef MG_SCAN_CHARSET_PRIV_H
#define MG_SCAN_CHARSET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "scan/charset.h"

/* 50 lead slots (0x81-0x9F, 0xE0-0xEF, 0xFA-0xFC) x 188 trail bytes. */
#define MG_CP932_FWD_LEN (50 * 188)
extern const uint16_t mg_cp932_fwd[MG_CP932_FWD_LEN];

/* CP932 double-byte code -> code point, 0 when the code is not assigned
 * (or lead/trail are out of range). */
uint32_t mg_cp932_lookup(uint8_t lead, uint8_t trail);
/* JIS row/cell (1..120, 1..94) <-> Shift_JIS bytes: plain arithmetic, the
 * way CP50220 carries the NEC (row 13, rows 89-92) and IBM (rows 115-119)
 * extensions. */
bool mg_jis_to_sjis(unsigned row, unsigned cell, uint8_t *s1, uint8_t *s2);
bool mg_sjis_to_jis(uint8_t s1, uint8_t s2, unsigned *row, unsigned *cell);

/* Output and error accounting shared by the decoders. */
struct mg_dec {
    struct mg_buf *out;
    struct mg_decode_result *res;
    void *g3;           /* lazily opened iconv for JIS X 0212 (EUC-JP-MS G3) */
};
void mg_dec_cp(struct mg_dec *d, uint32_t cp);
/* Records an undecodable sequence at byte offset off and writes U+FFFD. */
void mg_dec_err(struct mg_dec *d, size_t off);
/* JIS X 0212 / eucJP-ms G3 (row, cell as EUC bytes 0xA1-0xFE) through
 * glibc's EUC-JP-MS; 0 when not assigned or iconv is unavailable. */
uint32_t mg_dec_g3(struct mg_dec *d, uint8_t b1, uint8_t b2);
void mg_dec_close(struct mg_dec *d);

void mg_decode_ascii(struct mg_dec *d, const uint8_t *p, size_t len);
void mg_decode_utf8(struct mg_dec *d, const uint8_t *p, size_t len);
void mg_decode_cp932(struct mg_dec *d, const uint8_t *p, size_t len);
void mg_decode_eucjp(struct mg_dec *d, const uint8_t *p, size_t len);
void mg_decode_iso2022jp(struct mg_dec *d, const uint8_t *p, size_t len);
/* Any other label through glibc iconv; false if iconv does not know it. */
bool mg_decode_iconv(struct mg_dec *d, const char *label, const uint8_t *p, size_t len);

#endif
