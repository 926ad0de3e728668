// Compatibility driver for Sarama, the Go Kafka client (Debian golang-github-shopify-sarama-dev),
// built by the runner in GOPATH mode against Debian's Go sources:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o DRIVER main.go
//	DRIVER BOOTSTRAP
//
// It speaks the protocol of scripts/compat/protocol.ts: one JSON request per stdin line, one reply
// per stdout line prefixed with replyPrefix; Sarama's log goes to stderr.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

const replyPrefix = "@@millrace-compat "

var bootstrap string

type unsupported struct{ msg string }

func (u unsupported) Error() string { return u.msg }

type request struct {
	ID         json.RawMessage            `json:"id"`
	Op         string                     `json:"op"`
	Topics     []string                   `json:"topics"`
	Topic      string                     `json:"topic"`
	Partitions int                        `json:"partitions"`
	Configs    map[string]string          `json:"configs"`
	ConfigKeys []string                   `json:"configKeys"`
	Start      int                        `json:"start"`
	Count      int                        `json:"count"`
	Tag        string                     `json:"tag"`
	Codec      string                     `json:"compression"`
	Idempotent bool                       `json:"idempotent"`
	Acks       int                        `json:"acks"`
	Expect     int                        `json:"expect"`
	TimeoutMs  int                        `json:"timeoutMs"`
	GroupID    string                     `json:"groupId"`
	Phase1     struct{ Start, Count int } `json:"phase1"`
	Phase2     struct{ Start, Count int } `json:"phase2"`
	Timestamps []int64                    `json:"timestamps"`
}

type message struct {
	partition  int32
	key, value string
	headers    [][2]string
}

// messageAt must build exactly the messages of protocol.ts messageAt().
func messageAt(i int, tag string, partitions int) message {
	p := i % partitions
	return message{
		partition: int32(p),
		key:       fmt.Sprintf("k-%d", i),
		value:     fmt.Sprintf("v-%d-%s-\u00e9\u00df-%s", i, tag, strings.Repeat("x", i%41)),
		headers:   [][2]string{{"src", tag}, {"part", strconv.Itoa(p)}},
	}
}

func config() *sarama.Config {
	c := sarama.NewConfig()
	c.ClientID = "millrace-compat-sarama"
	c.Version = sarama.V2_1_0_0 // headers, idempotence, zstd
	c.Metadata.Retry.Backoff = 100 * time.Millisecond
	c.Consumer.MaxWaitTime = 100 * time.Millisecond
	return c
}

var (
	clientOnce sync.Once
	client     sarama.Client
	clientErr  error
	admin      sarama.ClusterAdmin
)

func shared() (sarama.Client, sarama.ClusterAdmin, error) {
	clientOnce.Do(func() {
		client, clientErr = sarama.NewClient([]string{bootstrap}, config())
		if clientErr == nil {
			admin, clientErr = sarama.NewClusterAdmin([]string{bootstrap}, config())
		}
	})
	return client, admin, clientErr
}

func hello(*request) (interface{}, error) {
	return map[string]interface{}{
		"client":        "sarama",
		"version":       saramaVersion(),
		"produceCodecs": []string{"gzip", "snappy", "lz4", "zstd"},
		"consumeCodecs": []string{"gzip", "snappy", "lz4", "zstd"},
		"features":      []string{"Debian's Sarama speaks Kafka 2.1's API versions (Config.Version = V2_1_0_0)"},
	}, nil
}

func saramaVersion() string {
	if v := os.Getenv("SARAMA_VERSION"); v != "" {
		return v
	}
	return "unknown"
}

func metadata(r *request) (interface{}, error) {
	c, _, err := shared()
	if err != nil {
		return nil, err
	}
	if err := c.RefreshMetadata(r.Topics...); err != nil {
		return nil, err
	}
	// Not ClusterAdmin.DescribeCluster: it sends Metadata v0, which carries no controller id.
	controller, err := c.Controller()
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{"controllerId": controller.ID()}
	var bs []map[string]interface{}
	for _, b := range c.Brokers() {
		host, port := splitAddr(b.Addr())
		bs = append(bs, map[string]interface{}{"id": b.ID(), "host": host, "port": port})
	}
	out["brokers"] = bs
	var topics []map[string]interface{}
	for _, t := range r.Topics {
		ids, err := c.Partitions(t)
		if err != nil {
			return nil, err
		}
		var parts []map[string]interface{}
		for _, p := range ids {
			leader, err := c.Leader(t, p)
			if err != nil {
				return nil, err
			}
			replicas, _ := c.Replicas(t, p)
			isr, _ := c.InSyncReplicas(t, p)
			parts = append(parts, map[string]interface{}{"id": p, "leader": leader.ID(), "replicas": replicas, "isr": isr})
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i]["id"].(int32) < parts[j]["id"].(int32) })
		topics = append(topics, map[string]interface{}{"name": t, "partitions": parts})
	}
	out["topics"] = topics
	return out, nil
}

func splitAddr(addr string) (string, int) {
	i := strings.LastIndex(addr, ":")
	port, _ := strconv.Atoi(addr[i+1:])
	return addr[:i], port
}

func createTopic(r *request) (interface{}, error) {
	_, a, err := shared()
	if err != nil {
		return nil, err
	}
	entries := map[string]*string{}
	for k, v := range r.Configs {
		v := v
		entries[k] = &v
	}
	return nil, a.CreateTopic(r.Topic, &sarama.TopicDetail{NumPartitions: int32(r.Partitions), ReplicationFactor: 1, ConfigEntries: entries}, false)
}

func describeTopic(r *request) (interface{}, error) {
	_, a, err := shared()
	if err != nil {
		return nil, err
	}
	md, err := a.DescribeTopics([]string{r.Topic})
	if err != nil {
		return nil, err
	}
	if len(md) != 1 || md[0].Err != sarama.ErrNoError {
		return nil, fmt.Errorf("describe %s: %v", r.Topic, md)
	}
	entries, err := a.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: r.Topic, ConfigNames: r.ConfigKeys})
	if err != nil {
		return nil, err
	}
	configs := map[string]string{}
	for _, e := range entries {
		configs[e.Name] = e.Value
	}
	return map[string]interface{}{"partitions": len(md[0].Partitions), "configs": configs}, nil
}

func deleteTopic(r *request) (interface{}, error) {
	_, a, err := shared()
	if err != nil {
		return nil, err
	}
	return nil, a.DeleteTopic(r.Topic)
}

func listTopics(*request) (interface{}, error) {
	_, a, err := shared()
	if err != nil {
		return nil, err
	}
	topics, err := a.ListTopics()
	if err != nil {
		return nil, err
	}
	names := []string{}
	for n := range topics {
		names = append(names, n)
	}
	return map[string]interface{}{"topics": names}, nil
}

var codecs = map[string]sarama.CompressionCodec{
	"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy,
	"lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD,
}

func produceMessages(r *request) error {
	c := config()
	c.Producer.Partitioner = sarama.NewManualPartitioner
	c.Producer.Return.Successes = true
	c.Producer.Compression = codecs[r.Codec]
	c.Producer.RequiredAcks = sarama.RequiredAcks(r.Acks)
	c.Producer.Flush.Frequency = 5 * time.Millisecond
	if r.Idempotent {
		c.Producer.Idempotent = true
		c.Producer.RequiredAcks = sarama.WaitForAll
		c.Net.MaxOpenRequests = 1
	}
	p, err := sarama.NewSyncProducer([]string{bootstrap}, c)
	if err != nil {
		return err
	}
	defer p.Close()
	var batch []*sarama.ProducerMessage
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := p.SendMessages(batch)
		batch = batch[:0]
		return err
	}
	for i := r.Start; i < r.Start+r.Count; i++ {
		m := messageAt(i, r.Tag, r.Partitions)
		var headers []sarama.RecordHeader
		for _, h := range m.headers {
			headers = append(headers, sarama.RecordHeader{Key: []byte(h[0]), Value: []byte(h[1])})
		}
		batch = append(batch, &sarama.ProducerMessage{Topic: r.Topic, Partition: m.partition, Key: sarama.StringEncoder(m.key), Value: sarama.StringEncoder(m.value), Headers: headers})
		if len(batch) == 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func produce(r *request) (interface{}, error) {
	if err := produceMessages(r); err != nil {
		return nil, err
	}
	return map[string]interface{}{"count": r.Count}, nil
}

func record(m *sarama.ConsumerMessage) []interface{} {
	headers := [][2]string{}
	for _, h := range m.Headers {
		headers = append(headers, [2]string{string(h.Key), string(h.Value)})
	}
	var key, value interface{}
	if m.Key != nil {
		key = string(m.Key)
	}
	if m.Value != nil {
		value = string(m.Value)
	}
	return []interface{}{m.Partition, m.Offset, key, value, headers}
}

func consume(r *request) (interface{}, error) {
	c, err := sarama.NewConsumer([]string{bootstrap}, config())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	all := make(chan *sarama.ConsumerMessage, 1000)
	errs := make(chan error, r.Partitions)
	for p := 0; p < r.Partitions; p++ {
		pc, err := c.ConsumePartition(r.Topic, int32(p), sarama.OffsetOldest)
		if err != nil {
			return nil, err
		}
		defer pc.AsyncClose()
		go func() {
			for m := range pc.Messages() {
				all <- m
			}
		}()
		go func() {
			for e := range pc.Errors() {
				errs <- e
			}
		}()
	}
	records := [][]interface{}{}
	deadline := time.After(time.Duration(r.TimeoutMs) * time.Millisecond)
	for len(records) < r.Expect {
		select {
		case m := <-all:
			records = append(records, record(m))
		case e := <-errs:
			return nil, e
		case <-deadline:
			return map[string]interface{}{"records": records}, nil
		}
	}
	return map[string]interface{}{"records": records}, nil
}

// ---- consumer group ---------------------------------------------------------------------------

type processed struct {
	mu   sync.Mutex
	list [][]interface{}
}

func (p *processed) add(member string, m *sarama.ConsumerMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, []interface{}{member, m.Partition, m.Offset, string(m.Key)})
}

func (p *processed) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.list)
}

type member struct {
	name   string
	topic  string
	group  sarama.ConsumerGroup
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	owned  []int32
	seen   *processed
	failed error
}

func (m *member) Setup(s sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	m.owned = append([]int32{}, s.Claims()[m.topic]...)
	m.mu.Unlock()
	return nil
}

func (m *member) Cleanup(sarama.ConsumerGroupSession) error {
	m.mu.Lock()
	m.owned = nil
	m.mu.Unlock()
	return nil
}

func (m *member) ConsumeClaim(s sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for msg := range claim.Messages() {
		m.seen.add(m.name, msg)
		s.MarkMessage(msg, "")
	}
	return nil
}

func (m *member) assignment() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := append([]int32{}, m.owned...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func startMember(r *request, name string, seen *processed) (*member, error) {
	c := config()
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
	c.Consumer.Group.Session.Timeout = 10 * time.Second
	c.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	c.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	c.Consumer.Return.Errors = true
	g, err := sarama.NewConsumerGroup([]string{bootstrap}, r.GroupID, c)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{name: name, topic: r.Topic, group: g, cancel: cancel, done: make(chan struct{}), seen: seen}
	go func() {
		for e := range g.Errors() {
			log.Printf("member %s: %v", name, e)
		}
	}()
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{r.Topic}, m); err != nil {
				log.Printf("member %s: consume: %v", name, err)
				if errors.Is(err, sarama.ErrClosedConsumerGroup) {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	return m, nil
}

func (m *member) stop() {
	m.cancel()
	<-m.done
	if err := m.group.Close(); err != nil {
		log.Printf("member %s: close: %v", m.name, err)
	}
}

func waitFor(done func() bool, deadline time.Time, what func() string) error {
	for !done() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func group(r *request) (interface{}, error) {
	seen := &processed{}
	members := map[string]*member{}
	order := []string{}
	deadline := time.Now().Add(time.Duration(r.TimeoutMs) * time.Millisecond)
	defer func() {
		for _, m := range members {
			m.stop()
		}
	}()
	describe := func() string {
		parts := []string{}
		for _, n := range order {
			parts = append(parts, fmt.Sprintf("%s=%v", n, members[n].assignment()))
		}
		return strings.Join(parts, " ") + fmt.Sprintf(", %d processed", seen.len())
	}
	settled := func() bool {
		var flat []int
		for _, m := range members {
			a := m.assignment()
			if len(a) == 0 {
				return false
			}
			for _, p := range a {
				flat = append(flat, int(p))
			}
		}
		sort.Ints(flat)
		if len(flat) != r.Partitions {
			return false
		}
		for i, p := range flat {
			if p != i {
				return false
			}
		}
		return true
	}
	waitSettled := func(what string) error {
		for {
			if err := waitFor(settled, deadline, func() string { return what + ": " + describe() }); err != nil {
				return err
			}
			time.Sleep(300 * time.Millisecond)
			if settled() {
				return nil
			}
		}
	}
	start := func(name string) error {
		m, err := startMember(r, name, seen)
		if err != nil {
			return err
		}
		members[name] = m
		order = append(order, name)
		return nil
	}
	produceRange := func(from, count int) error {
		return produceMessages(&request{Topic: r.Topic, Partitions: r.Partitions, Start: from, Count: count, Tag: r.Tag, Codec: "none", Acks: -1})
	}
	if err := start("A"); err != nil {
		return nil, err
	}
	if err := start("B"); err != nil {
		return nil, err
	}
	if err := waitSettled("A and B to share every partition"); err != nil {
		return nil, err
	}
	if err := produceRange(r.Phase1.Start, r.Phase1.Count); err != nil {
		return nil, err
	}
	if err := waitFor(func() bool { return seen.len() >= r.Phase1.Count }, deadline, func() string { return "phase 1 to be consumed: " + describe() }); err != nil {
		return nil, err
	}
	time.Sleep(300 * time.Millisecond)
	if err := start("C"); err != nil {
		return nil, err
	}
	if err := waitSettled("A, B and C to settle"); err != nil {
		return nil, err
	}
	assignments := map[string][]int32{}
	for n, m := range members {
		assignments[n] = m.assignment()
	}
	if err := produceRange(r.Phase2.Start, r.Phase2.Count); err != nil {
		return nil, err
	}
	total := r.Phase1.Count + r.Phase2.Count
	if err := waitFor(func() bool { return seen.len() >= total }, deadline, func() string { return "phase 2 to be consumed: " + describe() }); err != nil {
		return nil, err
	}
	time.Sleep(300 * time.Millisecond)
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func(m *member) { defer wg.Done(); m.stop() }(m)
	}
	wg.Wait()
	members = map[string]*member{}

	_, a, err := shared()
	if err != nil {
		return nil, err
	}
	parts := []int32{}
	for p := 0; p < r.Partitions; p++ {
		parts = append(parts, int32(p))
	}
	res, err := a.ListConsumerGroupOffsets(r.GroupID, map[string][]int32{r.Topic: parts})
	if err != nil {
		return nil, err
	}
	committed := map[string]int64{}
	for _, p := range parts {
		if b := res.GetBlock(r.Topic, p); b != nil {
			committed[strconv.Itoa(int(p))] = b.Offset
		}
	}
	return map[string]interface{}{"processed": seen.list, "assignments": assignments, "committed": committed}, nil
}

func offsets(r *request) (interface{}, error) {
	c, _, err := shared()
	if err != nil {
		return nil, err
	}
	earliest, latest := []int64{}, []int64{}
	byTime := make([][]int64, r.Partitions)
	for p := 0; p < r.Partitions; p++ {
		lo, err := c.GetOffset(r.Topic, int32(p), sarama.OffsetOldest)
		if err != nil {
			return nil, err
		}
		hi, err := c.GetOffset(r.Topic, int32(p), sarama.OffsetNewest)
		if err != nil {
			return nil, err
		}
		earliest, latest = append(earliest, lo), append(latest, hi)
		byTime[p] = []int64{}
		for _, ts := range r.Timestamps {
			o, err := c.GetOffset(r.Topic, int32(p), ts)
			if err != nil {
				return nil, err
			}
			byTime[p] = append(byTime[p], o)
		}
	}
	return map[string]interface{}{"earliest": earliest, "latest": latest, "byTime": byTime}, nil
}

// Sarama 1.22.1 has the transaction request types (AddPartitionsToTxn, EndTxn, ...) and a
// read_committed consumer, but no transactional producer: Config has no transactional id.
func transactions(*request) (interface{}, error) {
	return nil, unsupported{"Sarama 1.22.1 has no transactional producer: only the protocol's request types, and no transactional id in its Config"}
}

var ops = map[string]func(*request) (interface{}, error){
	"hello": hello, "metadata": metadata, "createTopic": createTopic, "describeTopic": describeTopic,
	"deleteTopic": deleteTopic, "listTopics": listTopics, "produce": produce, "consume": consume,
	"group": group, "offsets": offsets, "transactions": transactions,
}

func main() {
	bootstrap = os.Args[1]
	sarama.Logger = log.New(os.Stderr, "sarama ", log.LstdFlags)
	log.SetOutput(os.Stderr)
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		if line == "" {
			continue
		}
		var r request
		reply := map[string]interface{}{}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			reply["ok"], reply["error"] = false, "bad request: "+err.Error()
		} else {
			reply["id"] = r.ID
			fn, ok := ops[r.Op]
			var result interface{}
			var err error
			if !ok {
				err = unsupported{"sarama cannot do " + r.Op}
			} else {
				result, err = fn(&r)
			}
			var u unsupported
			switch {
			case err == nil:
				reply["ok"], reply["result"] = true, result
			case errors.As(err, &u):
				reply["ok"], reply["unsupported"], reply["error"] = false, true, err.Error()
			default:
				log.Printf("%s failed: %v", r.Op, err)
				reply["ok"], reply["error"] = false, fmt.Sprintf("%T: %v", err, err)
			}
		}
		b, _ := json.Marshal(reply)
		out.WriteString(replyPrefix)
		out.Write(b)
		out.WriteString("\n")
		out.Flush()
	}
	if admin != nil {
		admin.Close()
	}
}
