#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/policy.h"
#include "engine_fixture.h"

struct mg_engine *mg_test_engine(const char *conf)
{
    char path[] = "/tmp/mugai-test-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(conf);
    assert_int_equal(write(fd, conf, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    GError *err = NULL;
    struct mg_policy *pol = mg_policy_load(path, &err);
    unlink(path);
    if (pol == NULL)
        fail_msg("policy: %s", err ? err->message : "?");
    struct mg_engine *e = mg_engine_new(pol, &err);
    if (e == NULL)
        fail_msg("engine: %s", err ? err->message : "?");
    return e;
}
