/* Streaming quoted-printable decoder (RFC 2045 section 6.7): =XX escapes
 * (either hex case accepted), soft line breaks "=" CRLF / "=" LF (also with
 * transport padding between "=" and the break), trailing whitespace before a
 * line break dropped. An "=" that starts neither is kept literally with what
 * follows and counted in `invalid`. Scalar: QP bodies are mostly short text. */
#include "scan/decode.h"

#include <string.h>

enum { QP_TEXT, QP_EQ, QP_EQ_HEX, QP_EQ_WS, QP_SOFT_CR };

void mg_qp_init(struct mg_qp *d)
{
    memset(d, 0, sizeof *d);
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static size_t flush_ws(struct mg_qp *d, uint8_t *out)
{
    size_t n = d->nws;
    memcpy(out, d->ws, n);
    d->nws = 0;
    return n;
}

size_t mg_qp_feed(struct mg_qp *d, const uint8_t *in, size_t len, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = in[i];
        switch (d->state) {
        case QP_TEXT:
            break;
        case QP_EQ:
            if (hexval(c) >= 0) {
                d->hex1 = c;
                d->state = QP_EQ_HEX;
                continue;
            }
            if (c == '\n') {
                d->state = QP_TEXT;
                continue;
            }
            if (c == '\r') {
                d->state = QP_SOFT_CR;
                continue;
            }
            if (c == ' ' || c == '\t') {
                d->ws[d->nws++] = c;
                d->state = QP_EQ_WS;
                continue;
            }
            out[o++] = '=';
            d->invalid++;
            d->state = QP_TEXT;
            break;                      /* c is ordinary text */
        case QP_EQ_HEX:
            d->state = QP_TEXT;
            if (hexval(c) >= 0) {
                out[o++] = (uint8_t)(hexval(d->hex1) << 4 | hexval(c));
                continue;
            }
            out[o++] = '=';
            out[o++] = d->hex1;
            d->invalid++;
            break;
        case QP_EQ_WS:
            if ((c == ' ' || c == '\t') && d->nws < MG_QP_WS_MAX) {
                d->ws[d->nws++] = c;
                continue;
            }
            if (c == '\n' || c == '\r') {
                d->nws = 0;
                d->state = c == '\r' ? QP_SOFT_CR : QP_TEXT;
                continue;
            }
            out[o++] = '=';
            o += flush_ws(d, out + o);
            d->invalid++;
            d->state = QP_TEXT;
            break;
        case QP_SOFT_CR:
            d->state = QP_TEXT;
            if (c == '\n')
                continue;
            break;
        }
        /* QP_TEXT */
        if (c == ' ' || c == '\t') {
            if (d->nws == MG_QP_WS_MAX)
                o += flush_ws(d, out + o);   /* too long to be padding: keep it */
            d->ws[d->nws++] = c;
        } else if (c == '\r' || c == '\n') {
            d->nws = 0;                      /* trailing whitespace is transport padding */
            out[o++] = c;
        } else {
            o += flush_ws(d, out + o);
            if (c == '=')
                d->state = QP_EQ;
            else
                out[o++] = c;
        }
    }
    return o;
}

size_t mg_qp_finish(struct mg_qp *d, uint8_t *out)
{
    size_t o = 0;
    if (d->state == QP_EQ_HEX) {
        out[o++] = '=';
        out[o++] = d->hex1;
        d->invalid++;
    }
    /* "=" (with padding) at the very end is a soft break; trailing whitespace
     * at the end of the last line is padding: both dropped. */
    d->nws = 0;
    d->state = QP_TEXT;
    return o;
}
