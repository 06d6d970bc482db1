/**
 * The splice helper (python3, in the supervisor image): moves the bytes of tunnels handed to it from
 * socket to socket with splice(2) through a pipe, so they never enter user space. It speaks Node's IPC
 * channel (JSON lines on the descriptor in NODE_CHANNEL_FD, descriptors as SCM_RIGHTS):
 *
 * - in:  `{"cmd":"NODE_HANDLE","type":"net.Native","msg":{"splice":ID,"side":"a"|"b"}}` + one descriptor
 *        (answered `{"cmd":"NODE_HANDLE_ACK"}`, as Node expects before it sends the next one);
 *        `{"cut":ID}` shuts both sockets of a tunnel down; `{"ping":N}` is answered `{"pong":N,"works":B}`
 *        (B: one byte went through splice here, so it exists and no seccomp profile refuses it).
 * - out: `{"done":ID,"ab":N,"ba":N,"error":…}` once both directions of a tunnel are over (a→b bytes,
 *        b→a bytes); the helper then closes its copies of the two descriptors.
 *
 * One thread per direction with blocking splice (the GIL is released in the call). Half-close is kept:
 * end of one direction shuts down writing on the other socket only. An error shuts both down. When
 * the channel closes (the supervisor died) the helper exits at once, closing every tunnel: no egress
 * outlives the supervisor.
 */
export const SPLICE_HELPER = String.raw`
import array, fcntl, json, os, socket, sys, threading
ch = socket.socket(fileno=int(os.environ["NODE_CHANNEL_FD"]))
PIPE = 1 << 20
wlock = threading.Lock()
tlock = threading.Lock()
tunnels = {}

def send(obj):
    data = (json.dumps(obj) + "\n").encode()
    with wlock:
        ch.sendall(data)

def shut(t, how):
    for s in t["socks"].values():
        try:
            s.shutdown(how)
        except OSError:
            pass

def finish(t):
    with tlock:
        t["live"] -= 1
        if t["live"] > 0:
            return
        tunnels.pop(t["id"], None)
    for s in t["socks"].values():
        s.close()
    send({"done": t["id"], "ab": t["ab"], "ba": t["ba"], "error": t["error"]})

def pump(t, src, dst, key):
    r = w = -1
    try:
        r, w = os.pipe()
        try:
            fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, PIPE)
        except OSError:
            pass
        while True:
            n = os.splice(src.fileno(), w, PIPE)
            if n == 0:
                break
            while n > 0:
                m = os.splice(r, dst.fileno(), n)
                n -= m
                t[key] += m
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    except OSError as e:
        if not t["cut"] and t["error"] is None:
            t["error"] = e.strerror or str(e)
        shut(t, socket.SHUT_RDWR)
    finally:
        for fd in (r, w):
            if fd >= 0:
                os.close(fd)
        finish(t)

def start(t):
    a, b = t["socks"]["a"], t["socks"]["b"]
    for s in (a, b):
        s.setblocking(True)
    threading.Thread(target=pump, args=(t, a, b, "ab"), daemon=True).start()
    threading.Thread(target=pump, args=(t, b, a, "ba"), daemon=True).start()

def handle(msg, fd):
    s = socket.socket(fileno=fd)
    tid, side = int(msg["splice"]), msg["side"]
    with tlock:
        t = tunnels.setdefault(tid, {"id": tid, "socks": {}, "ab": 0, "ba": 0, "error": None, "cut": False, "live": 0})
        t["socks"][side] = s
        both = len(t["socks"]) == 2
        if t["cut"] and both:
            tunnels.pop(tid, None)
        elif both:
            t["live"] = 2
    if t["cut"]:
        s.close()
    elif both:
        start(t)

def cut(tid):
    with tlock:
        t = tunnels.get(tid)
        if t is None or t["cut"]:
            return
        t["cut"] = True
        waiting = t["live"] == 0
        if waiting and len(t["socks"]) == 2:
            tunnels.pop(tid, None)
    if waiting:
        for s in t["socks"].values():
            s.close()
        send({"done": tid, "ab": 0, "ba": 0, "error": None})
    else:
        shut(t, socket.SHUT_RDWR)

def works():
    """One byte through a socket pair and a pipe: splice is there and allowed (seccomp may refuse it)."""
    a, b = socket.socketpair()
    r, w = os.pipe()
    try:
        a.sendall(b"x")
        return os.splice(b.fileno(), w, 1) == 1 and os.splice(r, a.fileno(), 1) == 1 and b.recv(1) == b"x"
    except (OSError, AttributeError):
        return False
    finally:
        for s in (a, b):
            s.close()
        os.close(r)
        os.close(w)

buf = b""
fds = []
while True:
    try:
        data, anc, flags, addr = ch.recvmsg(65536, socket.CMSG_SPACE(4 * 8))
    except InterruptedError:
        continue
    if not data:
        os._exit(0)
    for level, typ, cdata in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            a = array.array("i")
            a.frombytes(cdata[: len(cdata) - (len(cdata) % a.itemsize)])
            fds.extend(a)
    buf += data
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        msg = json.loads(line)
        if msg.get("cmd") == "NODE_HANDLE":
            if not fds:
                send({"cmd": "NODE_HANDLE_NACK"})
                continue
            send({"cmd": "NODE_HANDLE_ACK"})
            handle(msg["msg"], fds.pop(0))
        elif "cut" in msg:
            cut(int(msg["cut"]))
        elif "ping" in msg:
            send({"pong": msg["ping"], "works": works()})
`;
