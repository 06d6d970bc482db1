import { describe, expect, it } from 'vitest';
import { decodeAddress, findClientSocket, parseProcNetTcp } from '../../../core/supervisor/procnet.ts';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0C38 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1207 1 000000008a5e1fb7 100 0 0 10 0
   1: 0100007F:A3F2 0100007F:0C38 01 00000000:00000000 00:00000000 00000000  1000        0 554433 1 000000001281102e 20 4 30 10 -1
   2: 0100007F:0C38 0100007F:A3F2 01 00000000:00000000 00:00000000 00000000     0        0 554434 1 000000001281102f 20 4 30 10 -1
   garbage line
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF00000100007F:B00B 0000000000000000FFFF00000100007F:0C38 01 00000000:00000000 00:00000000 00000000  1000        0 777 1 0000000000000000 20 4 30 10 -1
   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 888 1 0000000000000000 100 0 0 10 0
   2: B80D0120000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000 100 0 0 10 0
`;

describe('/proc/net/tcp parsing', () => {
  it('decodes little-endian IPv4 and IPv6 addresses, mapped ones as ::ffff:a.b.c.d', () => {
    expect(decodeAddress('0100007F')).toBe('127.0.0.1');
    expect(decodeAddress('020200C0')).toBe('192.0.2.2');
    expect(decodeAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
    expect(decodeAddress('00000000000000000000000001000000')).toBe('::1');
    expect(decodeAddress('00000000000000000000000000000000')).toBe('::');
    expect(decodeAddress('B80D0120000000000000000001000000')).toBe('2001:db8::1');
  });

  it('reads every row with ports, state, uid and inode, skipping headers and junk', () => {
    const rows = parseProcNetTcp(TCP);
    expect(rows).toHaveLength(3);
    expect(rows[1]).toEqual({ localIp: '127.0.0.1', localPort: 0xa3f2, remoteIp: '127.0.0.1', remotePort: 3128, state: 1, uid: 1000, inode: 554433 });
  });

  it("finds the client's end of a proxy connection, not the proxy's end", () => {
    const row = findClientSocket(parseProcNetTcp(TCP), { ip: '127.0.0.1', port: 0xa3f2 }, { ip: '127.0.0.1', port: 3128 });
    expect(row?.inode).toBe(554433);
    expect(findClientSocket(parseProcNetTcp(TCP), { ip: '127.0.0.1', port: 1 }, { ip: '127.0.0.1', port: 3128 })).toBeNull();
  });

  it('matches IPv4-mapped rows in tcp6 against IPv4 peers (and the reverse)', () => {
    const rows = parseProcNetTcp(TCP6);
    expect(findClientSocket(rows, { ip: '127.0.0.1', port: 0xb00b }, { ip: '::ffff:127.0.0.1', port: 3128 })?.inode).toBe(777);
  });
});
