package eventstore

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// dropProxy forwards a NATS client connection to a server, dropping the first n messages the
// client publishes to subjects starting with prefix: requests lost on the way, as when the node
// that received them dies.
type dropProxy struct {
	url     string
	dropped atomic.Int64
}

func mustDropProxy(tb testing.TB, serverURL, prefix string, n int64) *dropProxy {
	tb.Helper()
	target := strings.TrimPrefix(serverURL, "nats://")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	p := &dropProxy{url: "nats://" + ln.Addr().String()}
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			tb.Cleanup(func() { client.Close(); server.Close() })
			go func() { _, _ = io.Copy(client, server) }()
			go p.forward(server, client, prefix, n)
		}
	}()
	return p
}

// forward copies the client's protocol lines to the server, leaving out the matching PUB and
// HPUB messages (their line and payload) while fewer than n were dropped.
func (p *dropProxy) forward(dst io.Writer, src io.Reader, prefix string, n int64) {
	r := bufio.NewReader(src)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		size := -1
		if len(f) >= 3 && (f[0] == "PUB" || f[0] == "HPUB") {
			size, _ = strconv.Atoi(f[len(f)-1])
		}
		var payload []byte
		if size >= 0 {
			payload = make([]byte, size+2) // and its CRLF
			if _, err := io.ReadFull(r, payload); err != nil {
				return
			}
			if strings.HasPrefix(f[1], prefix) && p.dropped.Load() < n {
				p.dropped.Add(1)
				continue
			}
		}
		if _, err := io.WriteString(dst, line); err != nil {
			return
		}
		if _, err := dst.Write(payload); err != nil {
			return
		}
	}
}
