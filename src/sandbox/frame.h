/* Length-prefixed frames between the front end and its workers. A frame is
 * a 4-byte little-endian length and that many bytes of typed fields; at most
 * one file descriptor (a memfd holding bulk bytes) rides along with the
 * length prefix (SCM_RIGHTS). Readers check every field against what is
 * left, and mg_frame_done() that the frame was consumed exactly: a worker
 * is not trusted to speak the protocol correctly. */
#ifndef MG_SANDBOX_FRAME_H
#define MG_SANDBOX_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Writer: append typed fields to a buffer (errors are sticky in mg_buf). */
void mg_frame_put_u32(struct mg_buf *b, uint32_t v);
void mg_frame_put_u64(struct mg_buf *b, uint64_t v);
void mg_frame_put_bytes(struct mg_buf *b, const void *p, size_t len);
/* NULL is sent as a distinct "absent" string. */
void mg_frame_put_str(struct mg_buf *b, const char *s);

struct mg_frame_reader {
    const uint8_t *p;
    size_t len, off;
    bool bad;          /* sticky: a field ran past the end or was malformed */
};

void mg_frame_reader_init(struct mg_frame_reader *r, const uint8_t *p, size_t len);
uint32_t mg_frame_get_u32(struct mg_frame_reader *r);
uint64_t mg_frame_get_u64(struct mg_frame_reader *r);
/* Points into the frame (no copy); at most max bytes. */
const uint8_t *mg_frame_get_bytes(struct mg_frame_reader *r, size_t max, size_t *len);
/* A g_malloc'd NUL-terminated copy, or NULL for an absent string; a string
 * with an embedded NUL or longer than max makes the reader bad. */
char *mg_frame_get_str(struct mg_frame_reader *r, size_t max);
/* True when nothing went wrong and every byte was consumed. */
bool mg_frame_done(const struct mg_frame_reader *r);

/* Sends one frame (and fd when >= 0). False with errno on failure. */
bool mg_frame_send(int sock, const struct mg_buf *payload, int fd);
/* Receives one frame of at most max bytes into out (reset first); *fd gets
 * a passed descriptor or -1. timeout_ms < 0 waits forever. False with
 * errno: ETIMEDOUT, EMSGSIZE (over max), EPROTO, ECONNRESET (peer gone). */
bool mg_frame_recv(int sock, struct mg_buf *out, size_t max, int *fd, int timeout_ms);

/* Bulk bytes in a sealed-size memfd: created and filled by the sender,
 * mapped read-only by the receiver after checking its size <= max. */
int mg_frame_memfd(const void *data, size_t len);
/* Maps fd whole (len 0 gives a non-NULL empty pointer); NULL with errno. */
uint8_t *mg_frame_map_fd(int fd, size_t max, size_t *len);

#endif
