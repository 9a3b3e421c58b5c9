#include "engine/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <syslog.h>
#include <unistd.h>

#include "core/log.h"
#include "engine/report.h"

bool mg_audit_job(const struct mg_policy *pol, const struct mg_job *job)
{
    if (pol->audit == NULL || strcmp(pol->audit, "off") == 0 || *pol->audit == '\0')
        return true;
    struct mg_buf line;
    mg_buf_init(&line);
    mg_report_audit(job, &line);
    mg_buf_putc(&line, '\n');
    bool ok = !mg_buf_failed(&line);
    if (ok && strcmp(pol->audit, "syslog") == 0) {
        syslog(LOG_MAIL | LOG_INFO, "%.*s", (int)(line.len - 1), (const char *)line.data);
    } else if (ok) {
        int fd = open(pol->audit, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0) {
            mg_log_errno(MG_LOG_ERROR, mg_job_id(job), NULL, "audit: cannot open %s", pol->audit);
            ok = false;
        } else {
            /* One write under an exclusive lock keeps lines whole when several
             * processes share the file. */
            flock(fd, LOCK_EX);
            ssize_t n = write(fd, line.data, line.len);
            if (n != (ssize_t)line.len) {
                mg_log_errno(MG_LOG_ERROR, mg_job_id(job), NULL, "audit: write to %s failed", pol->audit);
                ok = false;
            }
            flock(fd, LOCK_UN);
            close(fd);
        }
    }
    mg_buf_free(&line);
    return ok;
}
