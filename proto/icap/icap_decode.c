#include "proto/icap/icap_decode.h"

#include <string.h>
#include <zlib.h>

#include <glib.h>

#include "proto/icap/icap_build.h"

#ifdef MG_HAVE_BROTLI
#include <brotli/decode.h>
#endif

enum enc { ENC_IDENTITY = 0, ENC_GZIP, ENC_DEFLATE, ENC_BR, ENC_OTHER };

static enum enc enc_of(const char *t)
{
    if (g_ascii_strcasecmp(t, "identity") == 0 || t[0] == '\0')
        return ENC_IDENTITY;
    if (g_ascii_strcasecmp(t, "gzip") == 0 || g_ascii_strcasecmp(t, "x-gzip") == 0)
        return ENC_GZIP;
    if (g_ascii_strcasecmp(t, "deflate") == 0)
        return ENC_DEFLATE;
    if (g_ascii_strcasecmp(t, "br") == 0)
        return ENC_BR;
    return ENC_OTHER;
}

bool mg_icap_have_brotli(void)
{
#ifdef MG_HAVE_BROTLI
    return true;
#else
    return false;
#endif
}

/* The single non-identity encoding, ENC_IDENTITY when none, ENC_OTHER when
 * unsupported or layered. */
static enum enc parse_value(const char *value)
{
    gchar **parts = g_strsplit(value, ",", 8);
    enum enc found = ENC_IDENTITY;
    int n = 0;
    for (int i = 0; parts && parts[i]; i++) {
        enum enc e = enc_of(g_strstrip(parts[i]));
        if (e == ENC_IDENTITY)
            continue;
        if (++n > 1 || e == ENC_OTHER) {
            found = ENC_OTHER;
            break;
        }
        found = e;
    }
    g_strfreev(parts);
    if (found == ENC_BR && !mg_icap_have_brotli())
        found = ENC_OTHER;
    return found;
}

bool mg_icap_encodings_supported(const char *value) { return parse_value(value) != ENC_OTHER; }

static enum mg_icap_dec_rc put(struct mg_spool *out, const uint8_t *d, size_t n, uint64_t max)
{
    if (n == 0)
        return MG_ICAP_DEC_OK;
    if (mg_spool_size(out) + n > max)
        return MG_ICAP_DEC_OVER;
    return mg_spool_write(out, d, n) ? MG_ICAP_DEC_OK : MG_ICAP_DEC_NOMEM;
}

/* windowBits: 15+16 gzip, 15 zlib, -15 raw deflate. gzip may have several
 * members one after another (RFC 1952 2.2); zlib and raw have one. */
static enum mg_icap_dec_rc inflate_all(int window_bits, const uint8_t *in, size_t len,
                                       struct mg_spool *out, uint64_t max)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, window_bits) != Z_OK)
        return MG_ICAP_DEC_NOMEM;
    uint8_t buf[65536];
    enum mg_icap_dec_rc rc = MG_ICAP_DEC_OK;
    size_t pos = 0;
    bool ended = false;
    while (rc == MG_ICAP_DEC_OK) {
        size_t take = len - pos > (1u << 30) ? (1u << 30) : len - pos;
        z.next_in = (Bytef *)(uintptr_t)(in + pos);
        z.avail_in = (uInt)take;
        z.next_out = buf;
        z.avail_out = sizeof(buf);
        int r = inflate(&z, Z_NO_FLUSH);
        size_t used = take - z.avail_in;
        pos += used;
        rc = put(out, buf, sizeof(buf) - z.avail_out, max);
        if (rc != MG_ICAP_DEC_OK)
            break;
        if (r == Z_STREAM_END) {
            ended = true;
            if (pos == len)
                break;
            if (window_bits != 15 + 16) {
                rc = MG_ICAP_DEC_BAD; /* bytes after the stream */
                break;
            }
            if (inflateReset(&z) != Z_OK) {
                rc = MG_ICAP_DEC_BAD;
                break;
            }
            ended = false;
            continue;
        }
        if (r == Z_BUF_ERROR && used == 0 && sizeof(buf) == z.avail_out) {
            rc = MG_ICAP_DEC_BAD; /* truncated: no progress and no end */
            break;
        }
        if (r != Z_OK && r != Z_BUF_ERROR) {
            rc = r == Z_MEM_ERROR ? MG_ICAP_DEC_NOMEM : MG_ICAP_DEC_BAD;
            break;
        }
    }
    inflateEnd(&z);
    if (rc == MG_ICAP_DEC_OK && !ended)
        rc = MG_ICAP_DEC_BAD;
    return rc;
}

#ifdef MG_HAVE_BROTLI
static enum mg_icap_dec_rc brotli_all(const uint8_t *in, size_t len, struct mg_spool *out, uint64_t max)
{
    BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!s)
        return MG_ICAP_DEC_NOMEM;
    uint8_t buf[65536];
    const uint8_t *next_in = in;
    size_t avail_in = len;
    enum mg_icap_dec_rc rc = MG_ICAP_DEC_OK;
    for (;;) {
        uint8_t *next_out = buf;
        size_t avail_out = sizeof(buf);
        BrotliDecoderResult r = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, NULL);
        rc = put(out, buf, sizeof(buf) - avail_out, max);
        if (rc != MG_ICAP_DEC_OK)
            break;
        if (r == BROTLI_DECODER_RESULT_SUCCESS) {
            if (avail_in != 0)
                rc = MG_ICAP_DEC_BAD;
            break;
        }
        if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
            continue;
        rc = MG_ICAP_DEC_BAD; /* error, or needs more input: truncated */
        break;
    }
    BrotliDecoderDestroyInstance(s);
    return rc;
}
#endif

enum mg_icap_dec_rc mg_icap_decode(const char *value, const uint8_t *in, size_t len,
                                   struct mg_spool *out, uint64_t max)
{
    switch (parse_value(value)) {
    case ENC_IDENTITY:
        return put(out, in, len, max);
    case ENC_GZIP:
        return inflate_all(15 + 16, in, len, out, max);
    case ENC_DEFLATE: {
        /* "deflate" means zlib (RFC 9110 8.4.1.2), but some servers send raw
         * deflate: a zlib header is two bytes with a checksum, so try it first. */
        bool zlib_hdr = len >= 2 && (in[0] & 0x0f) == 8 && ((in[0] << 8) | in[1]) % 31 == 0;
        return inflate_all(zlib_hdr ? 15 : -15, in, len, out, max);
    }
#ifdef MG_HAVE_BROTLI
    case ENC_BR:
        return brotli_all(in, len, out, max);
#endif
    default:
        return MG_ICAP_DEC_UNSUPPORTED;
    }
}
