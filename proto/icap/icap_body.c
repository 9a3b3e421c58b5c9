/* Chunked ICAP bodies (RFC 3507 4.4.1: always chunked, with the ieof
 * extension on the last chunk of a preview). Reading stops at the zero
 * chunk; bytes over the bound are read and dropped so the connection stays
 * in step, and the caller blocks the body. */
#include "proto/icap/icap_session.h"

#define CHUNK_LINE_MAX 1024
#define TRAILERS_MAX 32

enum mg_icap_body_rc mg_icap_read_chunks(struct mg_icap_tx *tx, struct mg_spool *sp, uint64_t max,
                                         bool *over, bool *ieof)
{
    *ieof = false;
    for (;;) {
        const char *line;
        size_t len;
        enum mg_icap_io_rc rc = mg_icap_io_getline(tx->io, CHUNK_LINE_MAX, &line, &len);
        if (rc == MG_ICAP_IO_TOO_LONG)
            return MG_ICAP_BODY_BAD;
        if (rc != MG_ICAP_IO_OK)
            return MG_ICAP_BODY_IO;
        uint64_t size;
        bool eof_ext;
        if (!mg_icap_parse_chunk_line(line, len, &size, &eof_ext))
            return MG_ICAP_BODY_BAD;
        if (size == 0) {
            *ieof = eof_ext;
            /* Trailers (none expected) up to the empty line. */
            for (unsigned i = 0;; i++) {
                if (i == TRAILERS_MAX)
                    return MG_ICAP_BODY_BAD;
                rc = mg_icap_io_getline(tx->io, CHUNK_LINE_MAX, &line, &len);
                if (rc == MG_ICAP_IO_TOO_LONG)
                    return MG_ICAP_BODY_BAD;
                if (rc != MG_ICAP_IO_OK)
                    return MG_ICAP_BODY_IO;
                if (len == 0)
                    return MG_ICAP_BODY_OK;
            }
        }
        if (eof_ext)
            return MG_ICAP_BODY_BAD; /* ieof belongs on the zero chunk only */
        tx->body_in += size;
        while (size > 0) {
            const uint8_t *d;
            size_t got;
            rc = mg_icap_io_read_some(tx->io, size > 65536 ? 65536 : (size_t)size, &d, &got);
            if (rc != MG_ICAP_IO_OK)
                return MG_ICAP_BODY_IO;
            size -= got;
            if (*over)
                continue;
            if (mg_spool_size(sp) + got > max) {
                *over = true;
                mg_spool_truncate(sp); /* nothing of it is ever used */
                continue;
            }
            if (!mg_spool_write(sp, d, got))
                return MG_ICAP_BODY_IO;
        }
        rc = mg_icap_io_getline(tx->io, 0, &line, &len);
        if (rc == MG_ICAP_IO_TOO_LONG)
            return MG_ICAP_BODY_BAD; /* data where the chunk's CRLF belongs */
        if (rc != MG_ICAP_IO_OK)
            return MG_ICAP_BODY_IO;
    }
}
