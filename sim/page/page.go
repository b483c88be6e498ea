//lockstep:host the page is drawn from a run's trace by the runner, outside the simulation

// Package page draws one run of a scenario as a single self-contained HTML
// page: one lane per node with its crashes, restarts, pauses and clock
// changes, partitions and link conditions as spans, messages as arrows
// between lanes, the failing check at its time, and the run's attachments
// (a checker's own report, such as porcupine's linearization view). The page
// loads nothing from any network: its style, script and data are inline, and
// its content security policy forbids every fetch.
//
// A Collector takes the run's structured trace (sim.Options.Trace); Write
// renders it with the run's result:
//
//	c := page.NewCollector()
//	res := sim.RunScenario(sc, sim.Options{Seed: seed, Trace: c.Record})
//	err := c.Write(f, page.Run{Result: res, Replay: "simrun replay ..."})
//
// docs/page.md says what the page shows and how to read it.
package page

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lockstep-dst/lockstep/sim"
)

// Run is what the page shows of a run besides its trace.
type Run struct {
	Result      sim.Result
	Description string // the scenario's one line, "" if none
	// Replay is the shell command that replays the run.
	Replay string
	// Plan is the fault plan the run applied, as JSON; nil if the run had
	// none or it is unknown (then the page shows Result.Faults).
	Plan []byte
	// PlanText is the plan one action per line, as a person reads it ("" to
	// show only the JSON).
	PlanText string
	// MaxEmbed bounds one attachment embedded in the page, in bytes (0:
	// DefaultMaxEmbed). A larger one is named with its size, not embedded.
	MaxEmbed int
}

// DefaultMaxEmbed is the largest attachment a page embeds by default.
const DefaultMaxEmbed = 32 << 20

// maxTableMarks bounds the rows of the marks table (the drawing has them all).
const maxTableMarks = 2000

//go:embed page.html
var pageHTML string

//go:embed page.css
var pageCSS string

//go:embed page.js
var pageJS string

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"dur": fmtDur,
}).Parse(pageHTML))

// Write renders the page of the run to w.
func (c *Collector) Write(w io.Writer, run Run) error {
	c.finish(run.Result.Virtual)
	v := c.view(run)
	var b bytes.Buffer
	if err := tmpl.Execute(&b, v); err != nil {
		return fmt.Errorf("page: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// view is what the template fills in.
type view struct {
	Title       string
	Res         sim.Result
	Description string
	Failure     *failureView
	Replay      string
	Plan        string
	PlanText    string
	Faults      string
	Lanes       []string
	Messages    messageCounts
	Links       []linkRow
	Marks       []markRow
	MoreMarks   int // marks kept but not in the table
	MarksTotal  int // marks kept
	Notes       []string
	Tail        []string
	Attachments []attachmentView
	Style       template.CSS
	Script      template.JS
	Data        data
}

type failureView struct {
	Outcome sim.Outcome
	Check   string
	At      time.Duration
	Node    string
	Message string
	Stack   string
}

type messageCounts struct{ Sent, Dropped, Flying uint64 }

type linkRow struct {
	From, To      string
	Sent, Dropped uint64
}

type markRow struct {
	At   time.Duration
	Node string
	Kind sim.MarkKind
	Text string
}

type attachmentView struct {
	Name, MediaType string
	Size            int
	HTML            string // for text/html: the document, for an iframe
	Text            string // for text and JSON
	TooLarge        bool
}

// data is what the page's script draws, as JSON: times in nanoseconds of
// virtual time, lanes by index (-1 for the world).
type data struct {
	End      int64      `json:"end"`
	Lanes    []string   `json:"lanes"`
	Points   []point    `json:"points"`
	Spans    []span     `json:"spans"`
	Msgs     [][6]int64 `json:"msgs"` // send, end, from lane, to lane, status, index in Texts
	Texts    []string   `json:"texts"`
	MsgTotal uint64     `json:"msgTotal"`
	Density  density    `json:"density"`
	Fail     *fail      `json:"fail"`
	// Clients are client histories attached to the run (HistoryMediaType),
	// drawn as lanes under the nodes.
	Clients []clients `json:"clients"`
}

type point struct {
	At   int64        `json:"at"`
	Lane int          `json:"lane"`
	Kind sim.MarkKind `json:"kind"`
	Text string       `json:"text"`
}

type span struct {
	From int64  `json:"from"`
	To   int64  `json:"to"`
	Lane int    `json:"lane"`
	Kind string `json:"kind"` // down, paused, partition, link
	Text string `json:"text"`
}

type density struct {
	Width   int64    `json:"width"`
	Sent    []uint64 `json:"sent"`
	Dropped []uint64 `json:"dropped"`
}

type fail struct {
	At    int64  `json:"at"`
	Lane  int    `json:"lane"`
	Check string `json:"check"`
	Text  string `json:"text"`
}

func (c *Collector) view(run Run) view {
	res := run.Result
	v := view{
		Title:       fmt.Sprintf("%s seed %d: %s", res.Scenario, res.Seed, res.Outcome),
		Res:         res,
		Description: run.Description,
		Replay:      run.Replay,
		PlanText:    run.PlanText,
		Faults:      res.Faults,
		Lanes:       c.lanes,
		Messages:    messageCounts{Sent: c.msgs.n, Dropped: c.dropped, Flying: c.flying},
		Style:       template.CSS(pageCSS),
		Script:      template.JS(pageJS),
	}
	if len(run.Plan) > 0 {
		var b bytes.Buffer
		if json.Indent(&b, run.Plan, "", "  ") == nil {
			v.Plan = b.String()
		} else {
			v.Plan = string(run.Plan)
		}
	}
	if f := res.Failure; f != nil {
		v.Failure = &failureView{Outcome: res.Outcome, Check: f.Check, At: f.At, Node: f.Node, Message: f.Err.Error(), Stack: f.Stack}
	}
	for k, l := range c.links {
		v.Links = append(v.Links, linkRow{From: c.laneName(k[0]), To: c.laneName(k[1]), Sent: l.sent, Dropped: l.dropped})
	}
	sort.Slice(v.Links, func(i, j int) bool {
		a, b := v.Links[i], v.Links[j]
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})
	v.MarksTotal = len(c.marks)
	for i, m := range c.marks {
		if i == maxTableMarks {
			v.MoreMarks = len(c.marks) - i
			break
		}
		v.Marks = append(v.Marks, markRow{At: m.At, Node: c.laneName(m.Lane), Kind: m.Kind, Text: m.Text})
	}
	if c.marksDropped > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("%d marks after the first %d are counted, not drawn.", c.marksDropped, maxMarks))
	}
	if c.unmatched > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("%d deliveries or drops had no send in the trace (duplicates of a message already delivered); they are not drawn.", c.unmatched))
	}
	if c.records == 0 {
		v.Notes = append(v.Notes, "The trace is empty: the run was not traced, so only its result is shown.")
	}
	for _, r := range c.lastRecords() {
		v.Tail = append(v.Tail, r.String())
	}
	v.Attachments = attachments(run)
	v.Data = c.data(res)
	v.Data.Clients = []clients{}
	for _, a := range res.Attachments {
		if a.MediaType != HistoryMediaType {
			continue
		}
		h, err := parseHistory(a.Name, a.Data)
		if err != nil {
			v.Notes = append(v.Notes, err.Error())
			continue
		}
		if len(h.Ops) < h.Total {
			v.Notes = append(v.Notes, fmt.Sprintf("Client history %s: %d of its %d operations are drawn (every one on a key found wrong, and an even sample of the rest).", a.Name, len(h.Ops), h.Total))
		}
		v.Data.Clients = append(v.Data.Clients, h)
	}
	return v
}

func (c *Collector) laneName(i int) string {
	if i < 0 {
		return "(world)"
	}
	return c.lanes[i]
}

func attachments(run Run) []attachmentView {
	limit := run.MaxEmbed
	if limit == 0 {
		limit = DefaultMaxEmbed
	}
	var out []attachmentView
	for _, a := range run.Result.Attachments {
		if a.MediaType == HistoryMediaType { // drawn in the timeline
			continue
		}
		av := attachmentView{Name: a.Name, MediaType: a.MediaType, Size: len(a.Data)}
		switch {
		case len(a.Data) > limit:
			av.TooLarge = true
		case strings.HasPrefix(a.MediaType, "text/html"):
			av.HTML = string(a.Data)
		default:
			av.Text = string(a.Data)
		}
		out = append(out, av)
	}
	return out
}

// data builds what the script draws: marks as points, the spans they open
// and close, and the message sample.
func (c *Collector) data(res sim.Result) data {
	d := data{End: int64(c.end), Lanes: c.lanes, MsgTotal: c.msgs.n, Points: []point{}, Spans: []span{}, Msgs: [][6]int64{}, Texts: []string{}}
	if d.Lanes == nil {
		d.Lanes = []string{}
	}
	d.Density = density{Width: int64(c.density.width), Sent: c.density.sent, Dropped: c.density.dropped}
	if d.Density.Sent == nil {
		d.Density.Sent, d.Density.Dropped = []uint64{}, []uint64{}
	}
	end := int64(c.end)
	type key struct{ lane, peer int }
	down := map[int]int64{}   // lane -> crash time
	paused := map[int]int64{} // lane -> pause time
	type open struct {
		at    int64
		lanes []int
		text  string
	}
	var parts []open // partitions not healed yet, in order
	partID := map[uint64]int{}
	link := map[key]point{}      // last link change per (lane, peer)
	baseline := map[key]string{} // the first conditions of each: no fault, not drawn
	var linkKeys []key
	addSpan := func(from, to int64, lane int, kind, text string) {
		d.Spans = append(d.Spans, span{From: from, To: to, Lane: lane, Kind: kind, Text: text})
	}
	addLink := func(p point, to int64, k key) {
		if p.Text != baseline[k] {
			addSpan(p.At, to, p.Lane, "link", p.Text)
		}
	}
	closePart := func(i int, at int64) {
		for _, l := range parts[i].lanes {
			addSpan(parts[i].at, at, l, "partition", parts[i].text)
		}
		parts[i].lanes = nil
	}
	for _, m := range c.marks {
		at := int64(m.At)
		d.Points = append(d.Points, point{At: at, Lane: m.Lane, Kind: m.Kind, Text: m.Text})
		switch m.Kind {
		case sim.MarkCrash:
			if _, ok := down[m.Lane]; !ok {
				down[m.Lane] = at
			}
		case sim.MarkStart:
			if t, ok := down[m.Lane]; ok {
				addSpan(t, at, m.Lane, "down", "down (crashed)")
				delete(down, m.Lane)
			}
		case sim.MarkPause:
			if _, ok := paused[m.Lane]; !ok {
				paused[m.Lane] = at
			}
		case sim.MarkResume:
			if t, ok := paused[m.Lane]; ok {
				addSpan(t, at, m.Lane, "paused", "paused")
				delete(paused, m.Lane)
			}
		case sim.MarkPartition:
			lanes := []int{m.Lane}
			if m.Lane >= 0 && m.Peer >= 0 {
				lanes = append(lanes, m.Peer)
			}
			if m.ID != 0 {
				partID[m.ID] = len(parts)
			}
			parts = append(parts, open{at: at, lanes: lanes, text: m.Text})
		case sim.MarkHeal:
			if i, ok := partID[m.ID]; ok && m.ID != 0 {
				closePart(i, at)
				delete(partID, m.ID)
			} else {
				// A heal that names no cut repairs every one.
				for i := range parts {
					closePart(i, at)
				}
				clear(partID)
			}
		case sim.MarkLink:
			k := key{m.Lane, m.Peer}
			if prev, ok := link[k]; ok {
				addLink(prev, at, k)
			} else {
				linkKeys = append(linkKeys, k)
				baseline[k] = m.Text
			}
			link[k] = point{At: at, Lane: m.Lane, Text: m.Text}
		}
	}
	// What is still open at the end lasts to the end, in lane order.
	for _, l := range sortedKeys(down) {
		addSpan(down[l], end, l, "down", "down (crashed) until the end")
	}
	for _, l := range sortedKeys(paused) {
		addSpan(paused[l], end, l, "paused", "paused until the end")
	}
	for i := range parts {
		closePart(i, end)
	}
	for _, k := range linkKeys {
		addLink(link[k], end, k)
	}
	d.Spans = mergeCuts(d.Spans)

	texts := map[string]int{}
	for _, m := range c.msgs.all() {
		ti, ok := texts[m.Text]
		if !ok {
			ti = len(d.Texts)
			texts[m.Text] = ti
			d.Texts = append(d.Texts, m.Text)
		}
		d.Msgs = append(d.Msgs, [6]int64{int64(m.Send), int64(m.End), int64(m.From), int64(m.To), int64(m.Status), int64(ti)})
	}

	if f := res.Failure; f != nil {
		d.Fail = &fail{At: int64(f.At), Lane: -1, Check: f.Check, Text: f.Error()}
		if i, ok := c.laneOf[f.Node]; ok {
			d.Fail.Lane = i
		}
		if f.At > c.end {
			d.End = int64(f.At)
		}
	}
	return d
}

// mergeCuts merges the partition spans of each lane that overlap or touch
// into one, naming every cut it holds: the network marks one span per cut
// link, so a node split from four others would otherwise be drawn four times
// over. Other spans are kept as they are, first.
func mergeCuts(spans []span) []span {
	var out, cuts []span
	for _, s := range spans {
		if s.Kind == "partition" {
			cuts = append(cuts, s)
		} else {
			out = append(out, s)
		}
	}
	sort.SliceStable(cuts, func(i, j int) bool {
		if cuts[i].Lane != cuts[j].Lane {
			return cuts[i].Lane < cuts[j].Lane
		}
		return cuts[i].From < cuts[j].From
	})
	for i := 0; i < len(cuts); {
		m := cuts[i]
		texts := []string{m.Text}
		j := i + 1
		for ; j < len(cuts) && cuts[j].Lane == m.Lane && cuts[j].From <= m.To; j++ {
			m.To = max(m.To, cuts[j].To)
			if !slices.Contains(texts, cuts[j].Text) {
				texts = append(texts, cuts[j].Text)
			}
		}
		m.Text = clip(strings.Join(texts, "; "))
		out = append(out, m)
		i = j
	}
	return out
}

func sortedKeys(m map[int]int64) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// fmtDur prints a virtual time as the trace does.
func fmtDur(d time.Duration) string { return d.String() }
