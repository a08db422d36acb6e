#!/usr/bin/env python3
# bench/listen-rate.py -- datagrams per second that `logscrub --listen`
# keeps up with: sends N nginx-style syslog datagrams (RFC 3164 header, a
# combined log line) as fast as a blocking Unix datagram socket takes them,
# and times until all N lines are in the output file.
#   bench/listen-rate.py ./logscrub [N]
import os, socket, subprocess, sys, tempfile, time

logscrub = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
d = tempfile.mkdtemp()
sock, out = os.path.join(d, "s.sock"), os.path.join(d, "out.log")
p = subprocess.Popen([logscrub, "--listen", "unix:" + sock, "-o", out])
while not os.path.exists(sock):
    time.sleep(0.01)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sock)
msgs = [("<190>Dec  6 10:11:12 nginx: 203.0.113.%d - - [06/Dec/2026:10:11:12 +0000] "
         "\"GET /p/%d?q=%d HTTP/1.1\" 200 %d \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\""
         % (i % 250, i, i * 7, i % 5000)).encode() for i in range(n)]
t0 = time.monotonic()
for m in msgs:
    s.send(m)
while True:
    try:
        with open(out, "rb") as f:
            if sum(1 for _ in f) >= n:
                break
    except FileNotFoundError:
        pass
    time.sleep(0.02)
dt = time.monotonic() - t0
p.terminate()
p.wait()
print("%d datagrams in %.2f s: %.0f datagrams/s" % (n, dt, n / dt))
