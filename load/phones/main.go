// lkb-phones: many simulated phones in one process, for the bridge's load tool.
//
// Each phone is a participant built on LiveKit's Go SDK (server-sdk-go v2, the stack of the Go
// bridge this project replaces) in its own room, sending what current mobile apps send: reliable
// data packets of PCM16 with a 1-byte sequence header (odd length). The load driver
// (com.mentra.bridge.load.LoadMain) starts this program and talks to it over stdin/stdout.
//
// Packet layout (odd length, default 3201 bytes): byte 0 the sequence number mod 256 (the header
// the bridge strips); bytes 1-4 the packet's index in this phone's run, int32 big-endian; bytes
// 5-12 the send time in microseconds since the epoch, int64 big-endian, written just before the
// packet is handed to the SDK; the rest a quiet 440 Hz tone. The gRPC client sees the payload
// without its first byte, so it finds the index at 0 and the send time at 4.
//
// Commands (stdin, one per line):
//
//	send <packets per second>   every phone starts sending, start times spread over one period
//	count                       prints the "count" event: packets sent so far by all phones
//	stop                        every phone stops; prints the "sent" event
//	quit                        leaves every room and exits (so does the end of stdin)
//
// Events (stdout, JSON lines): joined, join_failed, ready, count, onset (a
// listener heard a tone burst on the bridge's uplink track: when it started, how long it lasted), disconnected, sent.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
)

var (
	url          = flag.String("url", "", "LiveKit URL (ws://host:port)")
	apiKey       = flag.String("api-key", "", "LiveKit API key")
	apiSecret    = flag.String("api-secret", "", "LiveKit API secret")
	count        = flag.Int("count", 1, "phones, one per room")
	first        = flag.Int("first", 0, "index of the first phone")
	roomPrefix   = flag.String("room-prefix", "load-", "room of phone i: prefix + i")
	idPrefix     = flag.String("identity-prefix", "user-", "identity of phone i: prefix + i (the bridge's user_id)")
	bridgePrefix = flag.String("bridge-identity-prefix", "cloud-agent:", "identity prefix of the bridge's participants")
	packetBytes  = flag.Int("bytes", 3201, "data packet size; odd = 1-byte sequence header + PCM16, even = PCM16 only")
	concurrency  = flag.Int("join-concurrency", 8, "phones joining at once")
	listen       = flag.String("listen", "", "comma-separated phone indices that subscribe to the bridge's uplink track and report tone onsets")
	uplinkTrack  = flag.String("uplink-track", "bridge-uplink", "the bridge's uplink track name the listeners subscribe to")
	onsetBytes   = flag.Int("onset-bytes", 20, "an Opus payload at least this long after quiet ones is an onset")
	singlePC     = flag.Bool("single-pc", false, "one peer connection per phone instead of two")
)

var out = struct {
	sync.Mutex
	w *bufio.Writer
}{w: bufio.NewWriterSize(os.Stdout, 1<<16)}

func emit(v map[string]any) {
	b, _ := json.Marshal(v)
	out.Lock()
	out.w.Write(b)
	out.w.WriteByte('\n')
	out.w.Flush()
	out.Unlock()
}

type phone struct {
	index  int
	room   *lksdk.Room
	sent   atomic.Int64
	errors atomic.Int64
	seq    uint32
	buf    []byte
}

func (p *phone) sendOne() {
	n := p.seq
	p.seq++
	b := p.buf
	off := 0
	if len(b)%2 == 1 {
		b[0] = byte(n)
		off = 1
	}
	binary.BigEndian.PutUint32(b[off:], n)
	binary.BigEndian.PutUint64(b[off+4:], uint64(time.Now().UnixMicro()))
	// The SDK marshals the payload before it returns, so the buffer can be reused.
	err := p.room.LocalParticipant.PublishDataPacket(lksdk.UserData(b), lksdk.WithDataPublishReliable(true))
	if err != nil {
		p.errors.Add(1)
		return
	}
	p.sent.Add(1)
}

func payload(size int) []byte {
	b := make([]byte, size)
	off := size % 2
	for i := 0; off+2*i+1 < size; i++ {
		s := int16(1000 * math.Sin(2*math.Pi*440*float64(i)/16000))
		binary.LittleEndian.PutUint16(b[off+2*i:], uint16(s))
	}
	return b
}

func token(room, identity string) (string, error) {
	at := auth.NewAccessToken(*apiKey, *apiSecret)
	at.SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room, CanPublish: ptr(true), CanSubscribe: ptr(true), CanPublishData: ptr(true)}).
		SetIdentity(identity).SetName(identity).SetValidFor(48 * time.Hour)
	return at.ToJWT()
}

func ptr[T any](v T) *T { return &v }

// listenTo reads the bridge's uplink track's RTP and reports each tone burst: when its first long
// Opus payload (after at least five short, silent, ones) arrived, and how long the burst lasted by
// its RTP timestamps (48 kHz), which tells the driver which burst it was.
func listenTo(index int, track *webrtc.TrackRemote) {
	quiet := 0
	loud := 0
	var onsetAt int64
	var firstTS, lastTS uint32
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		if len(pkt.Payload) < *onsetBytes {
			quiet++
			if loud > 0 && quiet >= 3 {
				emit(map[string]any{"ev": "onset", "i": index, "at": onsetAt, "ms": float64(lastTS-firstTS)/48 + 20, "packets": loud})
				loud = 0
			}
			continue
		}
		if loud == 0 && quiet >= 5 {
			onsetAt = time.Now().UnixMicro()
			firstTS = pkt.Timestamp
			loud = 1
		} else if loud > 0 {
			loud++
		}
		lastTS = pkt.Timestamp
		quiet = 0
	}
}

func join(index int, listener bool) (*phone, error) {
	roomName := *roomPrefix + strconv.Itoa(index)
	identity := *idPrefix + strconv.Itoa(index)
	tok, err := token(roomName, identity)
	if err != nil {
		return nil, err
	}
	p := &phone{index: index, buf: payload(*packetBytes)}
	cb := lksdk.NewRoomCallback()
	cb.OnDisconnectedWithReason = func(reason lksdk.DisconnectionReason) {
		emit(map[string]any{"ev": "disconnected", "i": index, "reason": fmt.Sprint(reason)})
	}
	if listener {
		cb.OnTrackPublished = func(pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
			if strings.HasPrefix(rp.Identity(), *bridgePrefix) && pub.Name() == *uplinkTrack {
				_ = pub.SetSubscribed(true)
			}
		}
		cb.OnTrackSubscribed = func(track *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
			if pub.Name() == *uplinkTrack {
				go listenTo(index, track)
			}
		}
	}
	opts := []lksdk.ConnectOption{lksdk.WithAutoSubscribe(false)}
	if *singlePC {
		opts = append(opts, lksdk.WithSinglePeerConnection())
	}
	room, err := lksdk.ConnectToRoomWithToken(*url, tok, cb, opts...)
	if err != nil {
		return nil, err
	}
	p.room = room
	return p, nil
}

func main() {
	flag.Parse()
	if *url == "" || *apiKey == "" || *apiSecret == "" {
		fmt.Fprintln(os.Stderr, "lkb-phones: --url, --api-key and --api-secret are required")
		os.Exit(2)
	}
	if *packetBytes < 13 {
		fmt.Fprintln(os.Stderr, "lkb-phones: --bytes must be at least 13 (header, index and send time)")
		os.Exit(2)
	}
	lksdk.SetLogger(logger.GetDiscardLogger())
	listeners := map[int]bool{}
	for _, s := range strings.Split(*listen, ",") {
		if s = strings.TrimSpace(s); s != "" {
			i, err := strconv.Atoi(s)
			if err != nil {
				fmt.Fprintln(os.Stderr, "lkb-phones: bad --listen index", s)
				os.Exit(2)
			}
			listeners[i] = true
		}
	}

	phones := make([]*phone, *count)
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, *concurrency))
	var failed atomic.Int64
	for k := 0; k < *count; k++ {
		index := *first + k
		wg.Add(1)
		sem <- struct{}{}
		go func(k, index int) {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			p, err := join(index, listeners[index])
			if err != nil {
				failed.Add(1)
				emit(map[string]any{"ev": "join_failed", "i": index, "error": err.Error()})
				return
			}
			phones[k] = p
			emit(map[string]any{"ev": "joined", "i": index, "ms": float64(time.Since(t0).Microseconds()) / 1000})
		}(k, index)
	}
	wg.Wait()
	emit(map[string]any{"ev": "ready", "joined": int64(*count) - failed.Load(), "failed": failed.Load(),
		"ms": float64(time.Since(start).Microseconds()) / 1000})

	var stopSending chan struct{}
	var senders sync.WaitGroup
	stop := func() {
		if stopSending == nil {
			return
		}
		close(stopSending)
		senders.Wait()
		stopSending = nil
		counts := make([]int64, len(phones))
		errs := make([]int64, len(phones))
		for k, p := range phones {
			if p != nil {
				counts[k] = p.sent.Load()
				errs[k] = p.errors.Load()
			} else {
				counts[k] = -1
			}
		}
		emit(map[string]any{"ev": "sent", "first": *first, "counts": counts, "errors": errs})
	}
	quit := func() {
		stop()
		var leaving sync.WaitGroup
		for _, p := range phones {
			if p != nil {
				leaving.Add(1)
				go func(p *phone) { defer leaving.Done(); p.room.Disconnect() }(p)
			}
		}
		leaving.Wait()
		emit(map[string]any{"ev": "quit"})
		os.Exit(0)
	}

	lines := bufio.NewScanner(os.Stdin)
	for lines.Scan() {
		fields := strings.Fields(lines.Text())
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "send":
			pps := 10.0
			if len(fields) > 1 {
				if v, err := strconv.ParseFloat(fields[1], 64); err == nil && v > 0 && v <= 1000 {
					pps = v
				}
			}
			stop()
			stopSending = make(chan struct{})
			period := time.Duration(float64(time.Second) / pps)
			done := stopSending
			for k, p := range phones {
				if p == nil {
					continue
				}
				senders.Add(1)
				offset := period * time.Duration(k) / time.Duration(max(1, len(phones)))
				go func(p *phone) {
					defer senders.Done()
					select {
					case <-time.After(offset):
					case <-done:
						return
					}
					ticker := time.NewTicker(period)
					defer ticker.Stop()
					p.sendOne()
					for {
						select {
						case <-ticker.C:
							p.sendOne()
						case <-done:
							return
						}
					}
				}(p)
			}
		case "count":
			var sent, errs int64
			for _, p := range phones {
				if p != nil {
					sent += p.sent.Load()
					errs += p.errors.Load()
				}
			}
			emit(map[string]any{"ev": "count", "at": time.Now().UnixMicro(), "sent": sent, "errors": errs})
		case "stop":
			stop()
		case "quit":
			quit()
		default:
			fmt.Fprintln(os.Stderr, "lkb-phones: unknown command", fields[0])
		}
	}
	quit()
}
