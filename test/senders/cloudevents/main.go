// cloudevents-sender sends one Falco alert the way Falcosidekick's cloudevents (Knative)
// output does, with the same library (the CloudEvents Go SDK), and prints what came back as
// one JSON line. It exists so the end-to-end tests and the demo talk to the functions with a
// real CloudEvents client instead of hand-built requests.
//
//	cloudevents-sender --target URL [--alert FILE|-] [--mode binary|structured] [--broker]
//	                   [--extension name=value]...
//
// Output (stdout, one line): {"status":200,"ack":true,"sent":{...},"reply":{...}|null,...}
// Exit code: 0 when the request was delivered (whatever the status), 1 when it was not, 2 on
// bad usage or a bad alert.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

// falcoPayload mirrors Falcosidekick's types.FalcoPayload: the same fields, order and
// omitempty, so the body is what Falcosidekick would marshal.
type falcoPayload struct {
	UUID         string                 `json:"uuid,omitempty"`
	Output       string                 `json:"output"`
	Priority     string                 `json:"priority"`
	Rule         string                 `json:"rule"`
	Time         time.Time              `json:"time"`
	OutputFields map[string]interface{} `json:"output_fields"`
	Source       string                 `json:"source"`
	Tags         []string               `json:"tags,omitempty"`
	Hostname     string                 `json:"hostname,omitempty"`
}

type extensionFlags map[string]string

func (e extensionFlags) String() string { return fmt.Sprint(map[string]string(e)) }

// CloudEvents extension names: lowercase letters and digits only (spec 1.0).
var extensionName = regexp.MustCompile(`^[a-z0-9]{1,20}$`)

func (e extensionFlags) Set(value string) error {
	name, v, ok := strings.Cut(value, "=")
	if !ok || !extensionName.MatchString(name) {
		return fmt.Errorf("want name=value with a name of lowercase letters and digits, got %q", value)
	}
	e[name] = v
	return nil
}

type sentSummary struct {
	ID         string            `json:"id"`
	Mode       string            `json:"mode"`
	Type       string            `json:"type"`
	Source     string            `json:"source"`
	Time       string            `json:"time"`
	Extensions map[string]string `json:"extensions"`
}

type report struct {
	// HTTP status of the answer (0 when nothing was answered).
	Status int `json:"status"`
	// The SDK's own verdict on the delivery (cloudevents.IsACK of the result).
	ACK bool `json:"ack"`
	// The SDK's result text, e.g. "200: " or "401: ".
	Result string      `json:"result"`
	Sent   sentSummary `json:"sent"`
	// The reply as the SDK parsed it (structured JSON form), or null when the body was empty
	// or not a CloudEvent.
	Reply json.RawMessage `json:"reply"`
	// Whether the SDK's Validate() accepts the reply event.
	ReplyValid bool `json:"replyValid"`
	// Why there is no usable reply event, when there is none.
	ReplyError string `json:"replyError,omitempty"`
	// Raw reply body, only when the SDK could not make an event of it.
	ReplyBody string `json:"replyBody,omitempty"`
	// Set when the request was not delivered at all.
	Error string `json:"error,omitempty"`
}

// statusRecorder keeps the last HTTP status and body, which the SDK's result loses when it
// cannot turn the reply into an event.
type statusRecorder struct {
	next   http.RoundTripper
	mu     sync.Mutex
	status int
	body   []byte
}

func (r *statusRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, readErr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if readErr != nil {
		return nil, readErr
	}
	r.mu.Lock()
	r.status, r.body = resp.StatusCode, body
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func readAlert(path string) (falcoPayload, error) {
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return falcoPayload{}, err
	}
	var payload falcoPayload
	decoder := json.NewDecoder(bytes.NewReader(raw))
	// As Falcosidekick decodes: numbers stay exact (evt.time is above 2^53).
	decoder.UseNumber()
	if err := decoder.Decode(&payload); err != nil {
		return falcoPayload{}, fmt.Errorf("not a Falco alert: %w", err)
	}
	// Falcosidekick's own Check(): what it refuses to forward at all.
	if payload.Priority == "" || payload.Rule == "" || payload.Time.IsZero() || len(payload.OutputFields) == 0 {
		return falcoPayload{}, errors.New("not a Falco alert: priority, rule, time and output_fields are required")
	}
	return payload, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newUUID: version 4, as Falcosidekick stamps each alert it receives.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// buildEvent does what outputs/cloudevents.go in Falcosidekick does, attribute by attribute.
func buildEvent(payload falcoPayload, extensions map[string]string, broker bool) (cloudevents.Event, error) {
	event := cloudevents.NewEvent()
	event.SetID(newUUID()) // the SDK client would default it too; set here so it can be reported
	event.SetTime(payload.Time)
	event.SetSource("https://falco.org")
	event.SetType("falco.rule.output.v1")
	event.SetExtension("priority", payload.Priority)
	event.SetExtension("rule", payload.Rule)
	event.SetExtension("eventsource", payload.Source)
	if payload.Hostname != "" {
		event.SetExtension("hostname", payload.Hostname)
	}
	for name, value := range extensions {
		event.SetExtension(name, value)
	}
	if broker {
		// What a Knative Broker adds before delivering to a Trigger's subscriber.
		event.SetExtension("knativearrivaltime", time.Now().UTC().Format(time.RFC3339Nano))
		event.SetExtension("traceparent", "00-"+randomHex(16)+"-"+randomHex(8)+"-01")
	}
	if err := event.SetData(cloudevents.ApplicationJSON, payload); err != nil {
		return event, err
	}
	return event, event.Validate()
}

func summarize(event cloudevents.Event, mode string) sentSummary {
	extensions := map[string]string{}
	names := make([]string, 0, len(event.Extensions()))
	for name := range event.Extensions() {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		extensions[name] = fmt.Sprint(event.Extensions()[name])
	}
	return sentSummary{ID: event.ID(), Mode: mode, Type: event.Type(), Source: event.Source(), Time: event.Time().Format(time.RFC3339Nano), Extensions: extensions}
}

func emit(r report) {
	line, err := json.Marshal(r)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cloudevents-sender: cannot print the report: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(string(line))
}

func usageError(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "cloudevents-sender: "+format+"\n", args...)
	flag.Usage()
	os.Exit(2)
}

func main() {
	target := flag.String("target", "", "URL to POST the event to (required)")
	alertPath := flag.String("alert", "-", "file holding the Falco alert JSON, or - for stdin")
	mode := flag.String("mode", "binary", "binary (what Falcosidekick sends) or structured (what a broker or another sender may deliver)")
	broker := flag.Bool("broker", false, "add the extensions a Knative Broker adds on delivery (knativearrivaltime, traceparent)")
	keepUUID := flag.Bool("keep-uuid", false, "keep the alert's uuid instead of stamping a new one as Falcosidekick does")
	timeout := flag.Duration("timeout", 15*time.Second, "request timeout")
	extensions := extensionFlags{}
	flag.Var(extensions, "extension", "extra extension attribute name=value, as Falcosidekick's cloudevents.extensions (repeatable)")
	flag.Parse()

	if *target == "" {
		usageError("--target is required")
	}
	if *mode != "binary" && *mode != "structured" {
		usageError("--mode must be binary or structured, got %q", *mode)
	}
	payload, err := readAlert(*alertPath)
	if err != nil {
		usageError("%v", err)
	}
	// Falcosidekick names the source of alerts that carry none (older Falco) "syscalls".
	if payload.Source == "" {
		payload.Source = "syscalls"
	}
	if !*keepUUID || payload.UUID == "" {
		payload.UUID = newUUID()
	}
	event, err := buildEvent(payload, extensions, *broker)
	if err != nil {
		usageError("cannot build the event: %v", err)
	}

	recorder := &statusRecorder{next: http.DefaultTransport}
	client, err := cloudevents.NewClientHTTP(cloudevents.WithRoundTripper(recorder))
	if err != nil {
		fmt.Fprintf(os.Stderr, "cloudevents-sender: %v\n", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	ctx = cloudevents.ContextWithTarget(ctx, *target)
	if *mode == "structured" {
		ctx = cloudevents.WithEncodingStructured(ctx)
	} else {
		ctx = cloudevents.WithEncodingBinary(ctx)
	}

	reply, result := client.Request(ctx, event)
	out := report{Sent: summarize(event, *mode), Reply: json.RawMessage("null")}
	recorder.mu.Lock()
	out.Status, out.ACK = recorder.status, cloudevents.IsACK(result)
	body := recorder.body
	recorder.mu.Unlock()
	// No HTTP answer at all (refused, timed out): the SDK calls that a NACK, it is a failure to deliver.
	if cloudevents.IsUndelivered(result) || out.Status == 0 {
		out.ACK = false
		out.Error = fmt.Sprint(result)
		emit(out)
		os.Exit(1)
	}
	if result != nil {
		out.Result = strings.TrimSpace(result.Error())
	}
	if reply != nil {
		encoded, err := json.Marshal(reply)
		if err != nil {
			out.ReplyError = "cannot encode the reply: " + err.Error()
		} else {
			out.Reply = encoded
		}
		if err := reply.Validate(); err != nil {
			out.ReplyError = "invalid reply event: " + err.Error()
		} else {
			out.ReplyValid = true
		}
	} else {
		if len(body) == 0 {
			out.ReplyError = "empty reply"
		} else {
			out.ReplyError = "the reply is not a CloudEvent"
			out.ReplyBody = string(body)
		}
	}
	emit(out)
}
