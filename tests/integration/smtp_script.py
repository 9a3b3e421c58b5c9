#!/usr/bin/env python3
"""Scripted SMTP client for the tests (the OpenSMTPD smtpscript idea).
Usage: smtp_script.py HOST PORT < script. Script lines:
  > TEXT        send TEXT + CRLF (a lone > sends an empty line)
  >> EXPR       send the bytes of a Python expression (b"..." * n), no CRLF added
  < CODE [RE]   read one (multi-line) reply; its code must be CODE and, when
                given, the whole reply must match the regular expression RE
  <eof          the server must close the connection (after any replies)
  close         close our side now
  sleep SECS
  touch PATH    create PATH (tells the test script where this session is)
  waitfile PATH wait (up to 60 s) until PATH exists
Exits 0 when every expectation held, 1 otherwise (saying which)."""
import os, re, socket, sys, time

def read_reply(f):
    lines = []
    while True:
        l = f.readline(65536)
        if not l:
            return None, lines
        l = l.decode("utf-8", "replace").rstrip("\r\n")
        lines.append(l)
        if len(l) < 4 or l[3] != "-":
            return l[:3], lines

def main():
    host, port = sys.argv[1], int(sys.argv[2])
    s = socket.create_connection((host, port), timeout=30)
    f = s.makefile("rb")
    for n, line in enumerate(sys.stdin, 1):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        try:
            if line.startswith(">> "):
                s.sendall(eval(line[3:], {}))
            elif line == ">":
                s.sendall(b"\r\n")
            elif line.startswith("> "):
                s.sendall(line[2:].encode() + b"\r\n")
            elif line.startswith("<eof"):
                while True:
                    code, lines = read_reply(f)
                    if code is None:
                        break
            elif line.startswith("< "):
                want = line[2:].split(" ", 1)
                code, lines = read_reply(f)
                text = "\n".join(lines)
                if code != want[0]:
                    print("line %d: want %s, got %r" % (n, want[0], text))
                    return 1
                if len(want) > 1 and not re.search(want[1], text, re.S):
                    print("line %d: reply %r does not match %r" % (n, text, want[1]))
                    return 1
            elif line == "close":
                s.close()
                return 0
            elif line.startswith("sleep "):
                time.sleep(float(line[6:]))
            elif line.startswith("touch "):
                open(line[6:], "w").close()
            elif line.startswith("waitfile "):
                end = time.time() + 60
                while not os.path.exists(line[9:]):
                    if time.time() > end:
                        print("line %d: %s never appeared" % (n, line[9:]))
                        return 1
                    time.sleep(0.05)
            else:
                print("line %d: bad script line" % n)
                return 2
        except (OSError, socket.timeout) as e:
            print("line %d: %s" % (n, e))
            return 1
    return 0

if __name__ == "__main__":
    sys.exit(main())
