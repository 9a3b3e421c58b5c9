#!/usr/bin/env python3
"""A tiny next-hop SMTP server for the tests: stores each accepted message
as OUTDIR/<n>.eml (envelope in X-Sink-* lines first), answers 550 to
recipients starting with "reject5", 450 to "reject4", 554 to DATA when a
recipient starts with "datareject", 503 to a nested MAIL, and with
--tempfail-data answers 451 to every DATA; --hang never answers;
--reset-in-data drops the connection in the middle of DATA. Writes the port it listens on to --port-file."""
import argparse, os, socket, socketserver, threading

class Handler(socketserver.StreamRequestHandler):
    def reply(self, s):
        self.wfile.write((s + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        a = self.server.args
        if a.hang:
            # Accept the connection and say nothing (a hung next hop).
            self.rfile.read(1)
            return
        self.reply("220 sink ESMTP")
        mail, rcpts = None, []
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb == "EHLO":
                caps = ["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"]
                if a.smtputf8:
                    caps.append("SMTPUTF8")
                self.wfile.write(("250-sink\r\n" + "".join(
                    ("250-" if i + 1 < len(caps) else "250 ") + c + "\r\n"
                    for i, c in enumerate(caps))).encode())
                self.wfile.flush()
            elif verb == "HELO":
                self.reply("250 sink")
            elif verb == "MAIL":
                if mail is not None:
                    self.reply("503 5.5.1 Error: nested MAIL command")
                    continue
                mail, rcpts = cmd[10:], []
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                addr = cmd[8:]
                if addr.startswith("<reject5"):
                    self.reply("550 5.1.1 No such user here")
                elif addr.startswith("<reject4"):
                    self.reply("450 4.2.0 Mailbox busy")
                else:
                    rcpts.append(addr)
                    self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                if any(r.startswith("<datareject") for r in rcpts):
                    self.reply("554 5.6.0 Refused at DATA")
                    continue
                if a.tempfail_data:
                    self.reply("451 4.3.0 Try later")
                    continue
                self.reply("354 go")
                if a.reset_in_data:
                    # Read a little of the message, then drop the connection.
                    self.rfile.readline(65536)
                    self.request.shutdown(socket.SHUT_RDWR)
                    return
                body = []
                while True:
                    l = self.rfile.readline(65536)
                    if not l:
                        return
                    if l == b".\r\n":
                        break
                    body.append(l[1:] if l.startswith(b".") else l)
                with self.server.lock:
                    self.server.count += 1
                    n = self.server.count
                path = os.path.join(a.outdir, "%d.eml" % n)
                with open(path + ".tmp", "wb") as f:
                    f.write(("X-Sink-From: %s\r\nX-Sink-To: %s\r\n" % (mail, " ".join(rcpts))).encode())
                    f.write(b"".join(body))
                os.rename(path + ".tmp", path)
                mail, rcpts = None, []
                self.reply("250 2.0.0 Ok: queued as S%d" % n)
            elif verb == "RSET":
                mail, rcpts = None, []
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            elif verb == "NOOP":
                self.reply("250 2.0.0 Ok")
            else:
                self.reply("502 5.5.2 Error: command not recognized")

class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    request_queue_size = 256
    daemon_threads = True

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--outdir", required=True)
    p.add_argument("--smtputf8", action="store_true")
    p.add_argument("--tempfail-data", action="store_true")
    p.add_argument("--hang", action="store_true", help="accept, never answer")
    p.add_argument("--reset-in-data", action="store_true", help="close the connection during DATA")
    args = p.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.args, srv.lock, srv.count = args, threading.Lock(), 0
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()

if __name__ == "__main__":
    main()
