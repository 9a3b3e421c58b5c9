/* ICAP load generator for tests/bench/bench_icap.py: N threads, one
 * persistent connection each, sending the same request over and over for a
 * fixed time and reading each response to its end. Written in C so that
 * the client costs far less CPU than the servers it measures (the python
 * asyncio client took most of a core by itself); the same generator is used
 * for mugai and for c-icap's echo service.
 *
 *   icap-load PORT REQUEST-FILE CONNECTIONS SECONDS [REST-FILE]
 *
 * With REST-FILE, REQUEST-FILE is a request with a Preview (ending in the
 * 0-chunk): on "100 Continue" the rest of the body (REST-FILE) is sent and
 * the final response read; any other answer (204 decided from the
 * preview) ends the request there.
 *
 * Prints one line: "requests N seconds S p50_ms X p99_ms Y cpu_s C codes
 * 204:n 200:m ...", or exits 1 with a message on stderr. Not a test. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_LAT = 1 << 20, RBUF = 1 << 16 };

static const char *req, *rest;
static size_t req_len, rest_len;
static int port;
static double deadline;
static atomic_size_t n_lat;
static double *lat;
static atomic_size_t codes[600];
static atomic_int failed;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct rd {
    int fd;
    char buf[RBUF];
    size_t pos, len;
};

static int fill(struct rd *r)
{
    if (r->pos < r->len)
        return 1;
    ssize_t n = recv(r->fd, r->buf, sizeof(r->buf), 0);
    if (n <= 0)
        return 0;
    r->pos = 0;
    r->len = (size_t)n;
    return 1;
}

/* A line up to CRLF into out (truncated at cap), 0 on EOF. */
static int getline_crlf(struct rd *r, char *out, size_t cap)
{
    size_t k = 0;
    for (;;) {
        if (!fill(r))
            return 0;
        char c = r->buf[r->pos++];
        if (c == '\n') {
            if (k > 0 && out[k - 1] == '\r')
                k--;
            out[k] = '\0';
            return 1;
        }
        if (k + 1 < cap)
            out[k++] = c;
    }
}

static int skip(struct rd *r, size_t n)
{
    while (n > 0) {
        if (!fill(r))
            return 0;
        size_t m = r->len - r->pos < n ? r->len - r->pos : n;
        r->pos += m;
        n -= m;
    }
    return 1;
}

static int send_all(int fd, const char *p, size_t n)
{
    size_t off = 0;
    while (off < n) {
        ssize_t k = send(fd, p + off, n - off, MSG_NOSIGNAL);
        if (k <= 0)
            return 0;
        off += (size_t)k;
    }
    return 1;
}

/* Reads one ICAP response; returns its status or -1. After a "100
 * Continue" (when rest is set) sends the rest and reads the final one. */
static int read_response(struct rd *r)
{
    char line[8192];
    if (!getline_crlf(r, line, sizeof(line)) || strncmp(line, "ICAP/1.0 ", 9) != 0)
        return -1;
    int status = atoi(line + 9);
    if (status == 100 && rest != NULL) {
        do {
            if (!getline_crlf(r, line, sizeof(line)))
                return -1;
        } while (line[0] != '\0');
        if (!send_all(r->fd, rest, rest_len))
            return -1;
        if (!getline_crlf(r, line, sizeof(line)) || strncmp(line, "ICAP/1.0 ", 9) != 0)
            return -1;
        status = atoi(line + 9);
    }
    char enc[8192] = "null-body=0";
    for (;;) {
        if (!getline_crlf(r, line, sizeof(line)))
            return -1;
        if (line[0] == '\0')
            break;
        if (strncasecmp(line, "Encapsulated:", 13) == 0)
            snprintf(enc, sizeof(enc), "%s", line + 13);
    }
    /* The last entry's offset is the length of the HTTP headers before it. */
    char *last = strrchr(enc, ',');
    last = last ? last + 1 : enc;
    while (*last == ' ')
        last++;
    char *eq = strchr(last, '=');
    if (eq == NULL)
        return -1;
    long off = atol(eq + 1);
    if (off < 0 || !skip(r, (size_t)off))
        return -1;
    if (strncmp(last, "res-body", 8) == 0 || strncmp(last, "req-body", 8) == 0) {
        for (;;) {
            if (!getline_crlf(r, line, sizeof(line)))
                return -1;
            long n = strtol(line, NULL, 16);
            if (n < 0)
                return -1;
            if (n == 0) {
                /* trailer: up to the empty line */
                do {
                    if (!getline_crlf(r, line, sizeof(line)))
                        return -1;
                } while (line[0] != '\0');
                break;
            }
            if (!skip(r, (size_t)n + 2))
                return -1;
        }
    }
    return status;
}

static void *worker(void *arg)
{
    (void)arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("connect");
        atomic_store(&failed, 1);
        return NULL;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct rd *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        atomic_store(&failed, 1);
        close(fd);
        return NULL;
    }
    r->fd = fd;
    while (now() < deadline) {
        double t0 = now();
        if (!send_all(fd, req, req_len)) {
            perror("send");
            atomic_store(&failed, 1);
            goto out;
        }
        int st = read_response(r);
        if (st < 0 || st >= 600) {
            fprintf(stderr, "icap-load: bad or no response\n");
            atomic_store(&failed, 1);
            goto out;
        }
        atomic_fetch_add(&codes[st], 1);
        size_t i = atomic_fetch_add(&n_lat, 1);
        if (i < MAX_LAT)
            lat[i] = now() - t0;
    }
out:
    free(r);
    close(fd);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: icap-load PORT REQUEST-FILE CONNECTIONS SECONDS [REST-FILE]\n");
        return 2;
    }
    port = atoi(argv[1]);
    int conns = atoi(argv[3]);
    double seconds = atof(argv[4]);
    FILE *f = fopen(argv[2], "rb");
    if (f == NULL || port <= 0 || conns <= 0 || conns > 4096 || seconds <= 0) {
        fprintf(stderr, "icap-load: bad arguments\n");
        return 2;
    }
    static char data[64 << 20];
    req_len = fread(data, 1, sizeof(data), f);
    fclose(f);
    req = data;
    if (argc == 6) {
        static char more[64 << 20];
        FILE *g = fopen(argv[5], "rb");
        if (g == NULL) {
            perror(argv[5]);
            return 2;
        }
        rest_len = fread(more, 1, sizeof(more), g);
        fclose(g);
        rest = more;
    }
    lat = calloc(MAX_LAT, sizeof(*lat));
    pthread_t *t = calloc((size_t)conns, sizeof(*t));
    if (lat == NULL || t == NULL || req_len == 0)
        return 1;
    double t0 = now();
    deadline = t0 + seconds;
    for (int i = 0; i < conns; i++)
        if (pthread_create(&t[i], NULL, worker, NULL) != 0)
            return 1;
    for (int i = 0; i < conns; i++)
        pthread_join(t[i], NULL);
    double el = now() - t0;
    size_t n = atomic_load(&n_lat);
    size_t m = n < MAX_LAT ? n : MAX_LAT;
    qsort(lat, m, sizeof(*lat), cmp);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 ru.ru_stime.tv_usec / 1e6;
    printf("requests %zu seconds %.3f p50_ms %.2f p99_ms %.2f cpu_s %.3f codes", n, el,
           m ? lat[m / 2] * 1000 : 0.0, m ? lat[m - 1 - m / 100] * 1000 : 0.0, cpu);
    for (int i = 0; i < 600; i++)
        if (atomic_load(&codes[i]))
            printf(" %d:%zu", i, atomic_load(&codes[i]));
    printf("\n");
    return atomic_load(&failed) ? 1 : 0;
}
