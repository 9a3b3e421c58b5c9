/* Decrypting a quarantined password-protected archive (PPAP) for
 * `mugai quarantine unlock`: the archive is read with the administrator's
 * passphrase under the same limits as normal traffic and its entries are
 * copied, names as stored, into an unencrypted tar in memory, which the
 * engine then sanitizes like any archive (the result is a zip). The
 * passphrase is only handed to libarchive, never logged or copied. */
#ifndef MG_SANITIZERS_ARCHIVE_UNLOCK_H
#define MG_SANITIZERS_ARCHIVE_UNLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "engine/policy.h"
#include "sanitizers/archive/archive_read.h"

/* Appends the tar to out (whose limit the caller sets). Returns MG_AR_OK,
 * MG_AR_ENCRYPTED for a wrong passphrase (or an encryption libarchive cannot
 * undo), or the reader's other statuses, with a reason in detail. */
enum mg_ar_status mg_archive_decrypt(const struct mg_policy *pol, const uint8_t *data, size_t len,
                                     const char *passphrase, struct mg_buf *out, char *detail,
                                     size_t detlen);

#endif
