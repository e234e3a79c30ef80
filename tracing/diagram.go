package tracing

import (
	"fmt"
	"html"
	"strings"
	"time"
)

// Diagram is a sequence diagram: one lifeline per actor (PID), one arrow
// per message, in causal order.
type Diagram struct {
	Title     string
	Lifelines []string // PIDs, in order of first appearance
	Arrows    []Arrow
}

// Arrow is one message of a diagram.
type Arrow struct {
	From, To int // lifeline indexes
	Label    string
	Outcome  Kind          // Received, Dropped, DeadLetter, or Sent (no receive traced)
	At       time.Duration // send time since the first arrow's
	Since    time.Duration // since the previous arrow's send
	Hop      time.Duration // transit, when HasHop
	HasHop   bool
	MsgID    string
	IDs      IDs
}

// noSender names the lifeline of messages sent from outside any actor.
const noSender = "(outside any actor)"

// NewDiagram draws msgs (from Messages over a merged trace).
func NewDiagram(title string, msgs []Message) *Diagram {
	d := &Diagram{Title: title}
	index := map[string]int{}
	lifeline := func(pid string) int {
		if pid == "" {
			pid = noSender
		}
		if i, ok := index[pid]; ok {
			return i
		}
		index[pid] = len(d.Lifelines)
		d.Lifelines = append(d.Lifelines, pid)
		return index[pid]
	}
	var first, prev time.Time
	for i := range msgs {
		m := &msgs[i]
		a := Arrow{
			From:    lifeline(m.From),
			To:      lifeline(m.To),
			Label:   m.Label(),
			Outcome: m.Outcome(),
			MsgID:   m.MsgID,
			IDs:     m.IDs,
		}
		t := m.SentAt()
		if i == 0 {
			first, prev = t, t
		}
		a.At, a.Since = t.Sub(first), t.Sub(prev)
		prev = t
		a.Hop, a.HasHop = m.Hop()
		d.Arrows = append(d.Arrows, a)
	}
	return d
}

// timing is the arrow's time annotation: since the previous arrow, and
// the transit time.
func (a *Arrow) timing() string {
	s := "+" + FormatDuration(a.Since)
	if a.HasHop {
		s += ", hop " + FormatDuration(a.Hop)
	}
	switch a.Outcome {
	case Dropped:
		s += ", dropped"
	case DeadLetter:
		s += ", dead letter"
	case Sent:
		s += ", receive not traced"
	}
	return s
}

// Mermaid renders the diagram as Mermaid sequenceDiagram text.
func (d *Diagram) Mermaid() string {
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	if d.Title != "" {
		fmt.Fprintf(&b, "    title %s\n", mermaidText(d.Title))
	}
	for i, l := range d.Lifelines {
		fmt.Fprintf(&b, "    participant P%d as %s\n", i, mermaidText(l))
	}
	for i := range d.Arrows {
		a := &d.Arrows[i]
		arrow := "->>"
		switch a.Outcome {
		case Dropped, DeadLetter:
			arrow = "-x"
		case Sent:
			arrow = "-)"
		}
		fmt.Fprintf(&b, "    P%d%sP%d: %s [%s]\n", a.From, arrow, a.To, mermaidText(a.Label), a.timing())
	}
	return b.String()
}

// mermaidText escapes what Mermaid would read as syntax.
func mermaidText(s string) string {
	r := strings.NewReplacer("#", "#35;", ";", "#59;", "\n", " ", "\r", " ")
	return r.Replace(s)
}

// SVG layout.
const (
	svgTimeCol   = 96  // left column with times
	svgColWidth  = 240 // per lifeline
	svgHeadH     = 46  // lifeline header box
	svgTop       = 20
	svgRowH      = 36
	svgBottomPad = 30
)

// SVG renders the diagram as a standalone SVG element.
func (d *Diagram) SVG() string {
	var b strings.Builder
	width := svgTimeCol + svgColWidth*max(1, len(d.Lifelines)) + 20
	height := svgTop + svgHeadH + svgRowH*(len(d.Arrows)+1) + svgBottomPad
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	b.WriteString(`<defs>` +
		`<marker id="arr" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#222"/></marker>` +
		`<marker id="open" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10" fill="none" stroke="#888"/></marker>` +
		`</defs>` + "\n")
	x := func(i int) int { return svgTimeCol + svgColWidth*i + svgColWidth/2 }
	bottom := height - svgBottomPad + 10
	for i, l := range d.Lifelines {
		id, addr, _ := strings.Cut(l, "@")
		cx := x(i)
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#bbb" stroke-dasharray="4 3"/>`+"\n", cx, svgTop+svgHeadH, cx, bottom)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="#eef3fb" stroke="#5a7db5"><title>%s</title></rect>`+"\n",
			cx-svgColWidth/2+8, svgTop, svgColWidth-16, svgHeadH, html.EscapeString(l))
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-weight="bold">%s</text>`+"\n", cx, svgTop+19, html.EscapeString(clip(id, 28)))
		if addr != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#555" font-size="11">%s</text>`+"\n", cx, svgTop+36, html.EscapeString(clip(addr, 30)))
		}
	}
	for k := range d.Arrows {
		a := &d.Arrows[k]
		y := svgTop + svgHeadH + svgRowH*(k+1)
		fmt.Fprintf(&b, `<g><title>%s</title>`, html.EscapeString(a.tooltip(d)))
		fmt.Fprintf(&b, `<text x="8" y="%d" fill="#555" font-size="11">+%s</text>`, y+4, html.EscapeString(FormatDuration(a.At)))
		stroke, dash, marker := "#222", "", "arr"
		switch a.Outcome {
		case Dropped, DeadLetter:
			stroke, dash = "#c0392b", ` stroke-dasharray="5 3"`
		case Sent:
			stroke, dash, marker = "#888", ` stroke-dasharray="5 3"`, "open"
		}
		x1, x2 := x(a.From), x(a.To)
		label := html.EscapeString(a.Label)
		timing := html.EscapeString(a.timing())
		if a.From == a.To {
			fmt.Fprintf(&b, `<path d="M%d,%d h40 v14 h-40" fill="none" stroke="%s"%s marker-end="url(#%s)"/>`, x1, y-7, stroke, dash, marker)
			fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text><text x="%d" y="%d" fill="#666" font-size="10">%s</text>`, x1+46, y-2, label, x1+46, y+10, timing)
		} else {
			end := x2
			if a.Outcome == Dropped || a.Outcome == DeadLetter {
				// Stop short and cross the arrow out.
				if x2 > x1 {
					end = x2 - 14
				} else {
					end = x2 + 14
				}
				fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#c0392b" font-weight="bold">×</text>`, end, y+4)
				marker = ""
			}
			markerAttr := ""
			if marker != "" {
				markerAttr = fmt.Sprintf(` marker-end="url(#%s)"`, marker)
			}
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"%s%s/>`, x1, y, end, y, stroke, dash, markerAttr)
			mid := (x1 + x2) / 2
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, mid, y-5, label)
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#666" font-size="10">%s</text>`, mid, y+12, timing)
		}
		b.WriteString("</g>\n")
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func (a *Arrow) tooltip(d *Diagram) string {
	var parts []string
	parts = append(parts, d.Lifelines[a.From]+" → "+d.Lifelines[a.To])
	if a.MsgID != "" {
		parts = append(parts, "msg_id "+a.MsgID)
	}
	for _, l := range []struct {
		n string
		v []string
	}{{"framework", a.IDs.Framework}, {"agent", a.IDs.Agent}, {"executor", a.IDs.Executor}, {"task", a.IDs.Task}, {"offer", a.IDs.Offer}} {
		if len(l.v) > 0 {
			parts = append(parts, l.n+" "+strings.Join(clipList(l.v, 5), ","))
		}
	}
	return strings.Join(parts, "\n")
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func clipList(l []string, n int) []string {
	if len(l) <= n {
		return l
	}
	return append(append([]string(nil), l[:n]...), fmt.Sprintf("… (%d more)", len(l)-n))
}

// HTML renders the diagram as a self-contained page (inline SVG, no
// scripts, no external resources).
func (d *Diagram) HTML() string {
	var b strings.Builder
	title := d.Title
	if title == "" {
		title = "gomesos message flow"
	}
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n", html.EscapeString(title))
	b.WriteString("<style>body{font-family:sans-serif;margin:16px;color:#222}h1{font-size:18px}p{color:#555;font-size:13px}.wrap{overflow:auto;border:1px solid #ddd}</style>\n</head>\n<body>\n")
	fmt.Fprintf(&b, "<h1>%s</h1>\n", html.EscapeString(title))
	fmt.Fprintf(&b, "<p>%d messages between %d actors. Times on the left are since the first message; under each arrow, the time since the previous message and the hop (transit) time. Dashed red arrows were dropped or dead-lettered; dashed grey ones have no traced receive.</p>\n", len(d.Arrows), len(d.Lifelines))
	b.WriteString("<div class=\"wrap\">\n")
	b.WriteString(d.SVG())
	b.WriteString("</div>\n</body>\n</html>\n")
	return b.String()
}
