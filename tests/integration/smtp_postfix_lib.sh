# Private Postfix instances for the SMTP tests (sourced after smtp_lib.sh).
# Each instance lives under $T/<name>: its own config dir (postfix -c), queue,
# data dir and log file, an smtpd on 127.0.0.1:<port>, no chroot, no DNS,
# short retry times. Needs root (Postfix's master starts as root).

# pf_setup NAME PORT: main.cf settings follow as extra "key = value" args.
pf_setup() {
    local name=$1 port=$2; shift 2
    local d=$T/$name
    mkdir -p "$d/conf" "$d/queue" "$d/data"
    chown postfix "$d/data"
    {
        echo "compatibility_level = 3.6"
        echo "queue_directory = $d/queue"
        echo "data_directory = $d/data"
        echo "command_directory = $(postconf -dh command_directory)"
        echo "daemon_directory = $(postconf -dh daemon_directory)"
        echo "meta_directory = $(postconf -dh meta_directory)"
        echo "shlib_directory = $(postconf -dh shlib_directory)"
        echo "mail_owner = postfix"
        echo "setgid_group = postdrop"
        echo "syslog_name = postfix-$name"
        echo "maillog_file = $d/maillog"
        echo "maillog_file_prefixes = $T"
        echo "myhostname = $name.test"
        echo "mydomain = test"
        echo "mydestination ="
        echo "inet_interfaces = 127.0.0.1"
        echo "inet_protocols = ipv4"
        echo "mynetworks = 127.0.0.0/8"
        echo "smtp_dns_support_level = disabled"
        echo "smtp_host_lookup = native"
        echo "alias_maps ="
        echo "alias_database ="
        echo "biff = no"
        echo "queue_run_delay = 1s"
        echo "minimal_backoff_time = 1s"
        echo "maximal_backoff_time = 2s"
        echo "smtp_connect_timeout = 5s"
        echo "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"
        for kv in "$@"; do echo "$kv"; done
    } >"$d/conf/main.cf"
    # Debian's master.cf without chroot, with smtpd on our port only.
    python3 - "$port" >"$d/conf/master.cf" <<'P'
import sys
port = sys.argv[1]
out = ["127.0.0.1:%s inet n - n - - smtpd" % port]
for line in open("/etc/postfix/master.cf"):
    f = line.split()
    if not f or line[0] in "# \t" or f[1] not in ("unix", "unix-dgram", "fifo", "pass"):
        continue
    if f[-1] in ("pipe",) or f[0] in ("uucp", "ifmail", "bsmtp", "scalemail-backend", "mailman", "maildrop"):
        continue
    f[4] = "n"
    out.append(" ".join(f))
print("\n".join(out))
P
    postfix -c "$d/conf" check >"$d/check.log" 2>&1 || { cat "$d/check.log"; return 1; }
}

pf_start() { postfix -c "$T/$1/conf" start >>"$T/$1/ctl.log" 2>&1; PF_STARTED+=("$1"); }
pf_stop() { postfix -c "$T/$1/conf" stop >>"$T/$1/ctl.log" 2>&1; }
pf_flush() { postqueue -c "$T/$1/conf" -f >>"$T/$1/ctl.log" 2>&1; }
# Messages in the queue (any state).
pf_queued() { find "$T/$1/queue/incoming" "$T/$1/queue/active" "$T/$1/queue/deferred" "$T/$1/queue/maildrop" -type f 2>/dev/null | wc -l; }
pf_deferred() { find "$T/$1/queue/deferred" -type f 2>/dev/null | wc -l; }

PF_STARTED=()
pf_cleanup() {
    for n in "${PF_STARTED[@]}"; do postfix -c "$T/$n/conf" stop >/dev/null 2>&1; done
}

# wait_for SECONDS COMMAND...: polls until the command succeeds.
wait_for() {
    local s=$1; shift
    local i
    for i in $(seq 1 $((s * 5))); do "$@" && return 0; sleep 0.2; done
    return 1
}

# Messages delivered into $MAILDIR (the downstream's Maildir).
delivered() { find "$MAILDIR/maildir/new" -type f 2>/dev/null | wc -l; }
# For wait_for, which must re-evaluate the count on every try.
delivered_ge() { [ "$(delivered)" -ge "$1" ]; }

# html_docm_eml DOCM SUBJECT MESSAGE-ID > FILE: a CRLF mail with a plain
# part, an HTML alternative carrying a script, and DOCM attached as a
# macro-enabled Word document.
html_docm_eml() {
    python3 - "$@" <<'P'
import sys
from email.message import EmailMessage
docm, subject, msgid = sys.argv[1:4]
m = EmailMessage()
m["From"] = "sender@example.com"; m["To"] = "staff@lg.example.jp"
m["Subject"] = subject; m["Message-ID"] = msgid
m.set_content("plain alternative")
m.add_alternative("<html><body><p>Please open the invoice</p><script>alert(1)</script></body></html>", subtype="html")
m.add_attachment(open(docm, "rb").read(), maintype="application",
                 subtype="vnd.ms-word.document.macroEnabled.12", filename="invoice.docm")
sys.stdout.buffer.write(m.as_bytes().replace(b"\n", b"\r\n"))
P
}
