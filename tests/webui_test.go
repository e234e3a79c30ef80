package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	sched "github.com/gomesos/gomesos/schedulerdriver"
	"github.com/gomesos/gomesos/tests/harness"
	"github.com/gomesos/gomesos/webui"
)

// webuiArtifacts holds a screenshot of every page (git-ignored).
const webuiArtifacts = "artifacts/webui"

// optionalEndpoints are endpoints the UI asks for that the cluster does not
// serve yet; they answer 404 and the page says "Not available yet". Every
// one is served now: a 404 is a failed request.
var optionalEndpoints = []string{}

// chromium finds Debian's chromium. Without it the test skips, except in CI,
// where `make test` installs it first.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; `make test` installs Debian's chromium package (make test-deps)")
	}
	t.Skip("chromium is not installed: `make test-deps` (as root) installs Debian's chromium package for the browser tests")
	return ""
}

// browserLog collects what a page would show a developer in red: script
// errors, console errors and failed requests.
type browserLog struct {
	mu       sync.Mutex
	urls     map[network.RequestID]string
	problems []string
	missing  map[string]bool // optional endpoints that answered 404
}

func optional(url string) bool {
	return slices.ContainsFunc(optionalEndpoints, func(p string) bool { return strings.Contains(url, p) })
}

func (b *browserLog) event(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.problems = append(b.problems, fmt.Sprintf("script error at %s:%d: %s", d.URL, d.LineNumber+1, msg))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, string(a.Value))
				}
			}
			b.problems = append(b.problems, "console error: "+strings.Join(parts, " "))
		}
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level == log.EntryLevelError && !(e.Source == log.EntrySourceNetwork && optional(e.URL)) {
			b.problems = append(b.problems, fmt.Sprintf("browser log (%s): %s %s", e.Source, e.Text, e.URL))
		}
	case *network.EventRequestWillBeSent:
		b.urls[ev.RequestID] = ev.Request.URL
	case *network.EventResponseReceived:
		r := ev.Response
		switch {
		case r.Status == 404 && optional(r.URL):
			b.missing[r.URL] = true
		case r.Status >= 400:
			b.problems = append(b.problems, fmt.Sprintf("%s answered %d", r.URL, r.Status))
		}
	case *network.EventLoadingFailed:
		if !ev.Canceled && !optional(b.urls[ev.RequestID]) {
			b.problems = append(b.problems, fmt.Sprintf("request %s failed: %s", b.urls[ev.RequestID], ev.ErrorText))
		}
	}
}

// take returns the problems seen since the last call.
func (b *browserLog) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.problems
	b.problems = nil
	return p
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// browser is headless Chromium on one tab, with what the tab logs.
type browser struct {
	t   *testing.T
	ctx context.Context
	log *browserLog
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	if err := os.MkdirAll(webuiArtifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(harness.TempDir(t)),
			chromedp.WindowSize(1400, 1000))...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, log: &browserLog{urls: map[network.RequestID]string{}, missing: map[string]bool{}}}
	if err := chromedp.Listen(ctx, b.log.event); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return b
}

// run runs a check that must come out true.
func (b *browser) run(what string, a chromedp.Action[bool]) {
	b.t.Helper()
	c, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if ok, err := chromedp.Run(c, a); err != nil || !ok {
		shown, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.querySelector('main')?.innerText"))
		b.t.Fatalf("%s: %v (ok=%v); the page shows:\n%s", what, err, ok, shown)
	}
}

// waitFor polls a JavaScript condition on the page until it holds.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	b.run(what, chromedp.Poll[bool]("Boolean("+cond+")", chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
}

// open loads url (the first page) or, once a page is loaded, moves to a
// hash route as a click on a link would; then it waits for ready.
func (b *browser) open(url, hash, ready string) {
	b.t.Helper()
	if url != "" {
		c, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(c, chromedp.Navigate(url+hash)); err != nil {
			b.t.Fatalf("loading %s: %v", url, err)
		}
	} else {
		enc := strings.NewReplacer("(", "%28", ")", "%29").Replace(hash)
		b.run("going to "+hash, chromedp.Evaluate[bool]("location.hash = "+jsString(enc)+", true"))
	}
	b.waitFor(hash+" to show its content", ready)
}

// check fails the test for an error notice on the page and for every
// problem the browser logged, and keeps a screenshot as name.png.
func (b *browser) check(name string) {
	b.t.Helper()
	errNotice, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](text("main .notice.error")))
	if err != nil {
		b.t.Fatal(err)
	}
	if errNotice != "" {
		b.t.Errorf("%s page shows an error: %s", name, errNotice)
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot of %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(webuiArtifacts, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	for _, pr := range b.log.take() {
		b.t.Errorf("%s page: %s", name, pr)
	}
}

func (b *browser) logMissing() {
	b.log.mu.Lock()
	defer b.log.mu.Unlock()
	for u := range b.log.missing {
		b.t.Logf("not served yet (the page says so): %s", u)
	}
}

// text is the text of the first element matching sel ("" if none).
func text(sel string) string {
	return fmt.Sprintf("(document.querySelector(%s)?.textContent || '')", jsString(sel))
}

// shows holds when the element matching sel contains every word.
func shows(sel string, words ...string) string {
	var c []string
	for _, w := range words {
		c = append(c, fmt.Sprintf("%s.includes(%s)", text(sel), jsString(w)))
	}
	return strings.Join(c, " && ")
}

// settled holds once the page has drawn its own loads.
const settled = "!document.querySelector('main').innerText.includes('Loading')"

// notAvailableOr holds when the section titled heading says that its
// endpoint is not available, or shows what matches otherwise.
func notAvailableOr(heading, otherwise string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('section')].some(s => s.querySelector('h2')?.textContent === %s &&
		(s.innerText.includes('Not available') || s.querySelector(%s)))`, jsString(heading), jsString(otherwise))
}

// startLocalForUI starts mesos-local with n agents for a browser test and
// returns its HTTP address and base URL. A stopping agent destroys its
// containers, so no task outlives the test.
func startLocalForUI(t *testing.T, n int) (addr, base string) {
	t.Helper()
	work := harness.TempDir(t)
	local := harness.StartProc(t, "mesos-local", "--ip=127.0.0.1", "--port=0", fmt.Sprintf("--num_slaves=%d", n),
		"--work_dir="+work, "--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31100]")
	t.Cleanup(func() {
		local.Signal(syscall.SIGTERM)
		if _, err := local.Wait(30 * time.Second); err != nil {
			t.Logf("mesos-local: %v", err)
		}
	})
	addr = local.WaitOutput(t, harness.HTTPAddr, 30*time.Second)
	return addr, "http://" + addr + "/"
}

// The web UI in a real browser against mesos-local from the built
// binaries, with one task running and one finished: every page loads
// without a script error or a failed request, and shows what the cluster
// holds.
func TestWebUI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster and a browser")
	}
	b := startBrowser(t)
	addr, base := startLocalForUI(t, 2)
	harness.Eventually(t, 30*time.Second, func() bool {
		st, err := harness.GetJSON(base + "master/state")
		return err == nil && st["activated_slaves"] == float64(2)
	}, "2 agents registered")

	done := harness.StartProc(t, "mesos-execute", "--master="+addr, "--name=webui-done", "--command=echo done")
	if code, err := done.Wait(60 * time.Second); code != 0 || err != nil {
		t.Fatalf("mesos-execute webui-done: exit %d, %v:\n%s", code, err, done.Output())
	}
	harness.StartProc(t, "mesos-execute", "--master="+addr, "--name=webui-sleeper", "--command=sleep 600",
		"--role=eng/web", "--framework_name=webui-sleepers")
	var frameworkID, agentID string
	harness.Eventually(t, 30*time.Second, func() bool {
		st, err := harness.GetJSON(base + "master/state")
		if err != nil {
			return false
		}
		for _, f := range st["frameworks"].([]any) {
			for _, tk := range f.(map[string]any)["tasks"].([]any) {
				task := tk.(map[string]any)
				if task["id"] == "webui-sleeper" && task["state"] == "TASK_RUNNING" {
					frameworkID, agentID = task["framework_id"].(string), task["slave_id"].(string)
					return true
				}
			}
		}
		return false
	}, "webui-sleeper running")

	// The master keeps its own samples of allocation: the plots start
	// from before the page was opened.
	harness.Eventually(t, 30*time.Second, func() bool {
		h, err := harness.GetJSON(base + "master/allocation-history")
		return err == nil && len(h["samples"].([]any)) > 0
	}, "a first allocation sample")

	b.open(base, "#/", shows("table[data-list=active]", "webui-sleeper", "RUNNING", "eng/web")+" && "+
		shows("table[data-list=completed]", "webui-done", "FINISHED")+" && "+shows("#resources", "Total", "Allocated", "Offered", "Idle"))
	checkHome(t, b, base, agentID)
	b.waitFor("the allocation plot to start before the page was opened",
		`Number(document.querySelector('#view svg.spark')?.dataset.from ?? Infinity) < performance.timeOrigin`)
	b.check("home")

	pages := []struct{ name, hash, ready string }{
		{"frameworks", "#/frameworks", shows("#frameworks", frameworkID[strings.LastIndex(frameworkID, "-")+1:], "webui-sleepers")},
		// An agent's verdict depends on the framework's decline filters of the
		// moment ("not offered" while one holds, "would be offered" after):
		// any verdict will do here; the suppressed case below names its reason.
		{"explain", "#/frameworks/" + frameworkID + "/explain", shows("#explain-roles", "eng/web") + " && " + shows("#explain-agents", "offered")},
		{"framework", "#/frameworks/" + frameworkID, shows("main", "webui-sleeper", "Outstanding offers") + " && " + notAvailableOr("Why no offer?", "#explain-agents")},
		{"task", "#/frameworks/" + frameworkID + "/tasks/webui-sleeper", shows("main", "Status updates", "STARTING", "RUNNING", "Sequence diagram")},
		{"agents", "#/agents", "document.querySelectorAll('#agents tbody tr').length === 2 && " + shows("main", "2 agents")},
		{"agent", "#/agents/" + agentID, shows("main", "webui-sleeper", "Command Executor") + " && " + notAvailableOr("Usage", "table") + " && " + settled},
		{"executor", "#/agents/" + agentID + "/frameworks/" + frameworkID + "/executors/webui-sleeper", shows("#executor-tasks", "webui-sleeper", "RUNNING") + " && " + shows("main", "Command Executor")},
		{"sandbox", "#/agents/" + agentID + "/frameworks/" + frameworkID + "/executors/webui-sleeper/browse", notAvailableOr("Directory", "table") + " && " + settled},
		{"tasks", "#/tasks", shows("#tasks", "webui-sleeper", "webui-done")},
		{"offers", "#/offers", "document.querySelector('#offers')"},
		{"roles", "#/roles", shows("#roles", "eng", "web")},
		{"metrics", "#/metrics", "document.querySelectorAll('svg.spark').length >= 5 && " + shows("main", "master/tasks_running")},
	}
	for _, p := range pages {
		b.open("", p.hash, p.ready)
		switch p.name {
		case "task":
			b.run("the task links to its message flow", chromedp.Evaluate[bool](
				`[...document.querySelectorAll('main a')].some(a => a.getAttribute('href') === 'trace/ui?task=webui-sleeper')`))
		case "tasks":
			// The filter narrows the table as one types.
			b.run("typing a filter", chromedp.Evaluate[bool](`(() => { const f = document.querySelector('#task-filter');
				f.value = 'sleeper'; f.dispatchEvent(new Event('input')); return true; })()`))
			b.waitFor("the filter to leave only webui-sleeper", shows("#tasks", "webui-sleeper")+" && !"+text("#tasks")+".includes('webui-done')")
		case "agents":
			// The filter narrows the (paged) list as one types.
			b.run("typing an agent filter", chromedp.Evaluate[bool](`(() => { const f = document.querySelector('#agent-filter');
				f.value = `+jsString(agentID[strings.LastIndex(agentID, "-")+1:])+`; f.dispatchEvent(new Event('input')); return true; })()`))
			b.waitFor("the filter to leave one agent", "document.querySelectorAll('#agents tbody tr').length === 1 && "+shows("main", "1 of 2 agents match"))
		case "roles":
			// eng/web is drawn under eng, and folding eng hides it.
			b.run("eng/web under eng", chromedp.Evaluate[bool](`(() => {
				const rows = [...document.querySelectorAll('#roles tbody tr')].map(tr => tr.cells[0]);
				const eng = rows.findIndex(c => c.innerText.trim().endsWith('eng')), web = rows.findIndex(c => c.innerText.trim().endsWith('web'));
				return eng >= 0 && web === eng + 1 && parseFloat(rows[web].firstChild.style.paddingLeft) > parseFloat(rows[eng].firstChild.style.paddingLeft);
			})()`))
			b.run("folding eng", chromedp.Evaluate[bool](`(() => { document.querySelector('#roles button.twisty').click(); return true; })()`))
			b.waitFor("eng/web to be hidden", "!"+text("#roles")+".includes('web')")
		}
		b.check(p.name)
	}
	// The task's "message flow" link: the trace page draws its flow.
	b.open(base+"trace/ui?task=webui-sleeper", "", "document.querySelector('#diagram svg g') && "+shows("#diagram", "RunTask"))
	b.check("message-flow")
	b.logMissing()
}

// An agent that runs on its own port is another origin: its page reads the
// agent's /state through ?jsonp=, as Mesos' UI does.
func TestWebUIAgentOnItsOwnPort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster and a browser")
	}
	b := startBrowser(t)
	c := harness.StartProcs(t, harness.ProcOptions{Agents: 1})
	st, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	agentID := st["slaves"].([]any)[0].(map[string]any)["id"].(string)
	b.open("http://"+c.Addr+"/", "#/agents/"+agentID,
		shows("main", "The agent runs no executors.")+" && "+notAvailableOr("Usage", "table")+" && "+settled)
	b.check("agent-own-port")
	b.logMissing()
}

// checkHome compares the overview with /master/state: the running task's
// host links to its agent, the resources table adds up, and the allocation
// plot keeps polling.
func checkHome(t *testing.T, b *browser, base, agentID string) {
	t.Helper()
	b.run("the running task's host links to its agent", chromedp.Evaluate[bool](fmt.Sprintf(
		`[...document.querySelectorAll('table[data-list=active] tbody tr')].some(tr => tr.innerText.includes('webui-sleeper') &&
			[...tr.querySelectorAll('a')].some(a => a.getAttribute('href') === '#/agents/' + encodeURIComponent(%s)))`, jsString(agentID))))
	st, err := harness.GetJSON(base + "master/state")
	if err != nil {
		t.Fatal(err)
	}
	var used float64
	for _, a := range st["slaves"].([]any) {
		used += a.(map[string]any)["used_resources"].(map[string]any)["cpus"].(float64)
	}
	// Two agents of cpus:2 and mem:1024: 4 CPUs and 2 GB in all.
	b.run("the resources table's totals and allocation", chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const row = (label) => [...document.querySelectorAll('#resources tbody tr')].find(tr => tr.cells[0].innerText === label);
		const total = row('Total'), alloc = row('Allocated');
		return total.cells[1].innerText === '4' && total.cells[3].innerText === '2 GB' && alloc.cells[1].innerText === %s;
	})()`, jsString(fmt.Sprint(used)))))
	b.waitFor("a second poll to reach the allocation plot",
		`Number((/\((\d+) samples\)/.exec(document.querySelector('svg.spark title')?.textContent || '') || [0, 0])[1]) >= 2`)
}

// The UI's pure modules (formatting, the views of /master/state, the roles
// tree, agent addresses), table-tested in the browser that runs them.
func TestWebUIModules(t *testing.T) {
	b := startBrowser(t)
	srv := httptest.NewServer(webui.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/blank" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<!doctype html><title>blank</title><link rel="icon" href="data:,">`)
	})))
	defer srv.Close()
	b.open(srv.URL+"/blank", "", "document.title === 'blank'")
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	cases := []struct{ name, expr, want string }{
		{"mem in GB", `f.mb(1024)`, `"1 GB"`},
		{"mem in MB", `f.mb(128)`, `"128 MB"`},
		{"no mem", `f.mb(undefined)`, `"0 MB"`},
		{"rounded figure", `f.num(1.23456)`, `"1.23"`},
		{"small figure", `f.num(0.000481)`, `"0.00048"`},
		{"state name", `f.state("TASK_RUNNING")`, `"RUNNING"`},
		{"short ID", `f.shortID("abc-def-S3", "abc-def")`, `"S3"`},
		{"idle is total less allocated and offered", `m.totals([
			{resources: {cpus: 4, mem: 1024}, used_resources: {cpus: 1, mem: 128}, offered_resources: {cpus: 2, mem: 512}},
			{resources: {cpus: 2, mem: 1024, disk: 10}, used_resources: {}, offered_resources: {}}]).idle`,
			`{"cpus":3,"gpus":0,"mem":1408,"disk":10}`},
		{"unreachable tasks count as unreachable", `(() => { const c = m.countStates([{state: "TASK_RUNNING", list: "active"},
			{state: "TASK_RUNNING", list: "unreachable"}, {state: "TASK_FINISHED", list: "completed"}]);
			return [c.TASK_RUNNING, c.TASK_UNREACHABLE, c.TASK_FINISHED]; })()`, `[1,1,1]`},
		{"index lists every task once", `m.index({slaves: [], frameworks: [{id: "f1", tasks: [{id: "a"}], completed_tasks: [{id: "b"}],
			unreachable_tasks: [{id: "c"}]}], completed_frameworks: [{id: "f2", completed_tasks: [{id: "d"}]}]}).tasks.map(t => t.id + ":" + t.list)`,
			`["a:active","c:unreachable","b:completed","d:completed"]`},
		{"agents sharing an address are told apart", `[...m.index({slaves: [{id: "s1", hostname: "h", port: 1, pid: "slave(1)@x:9"},
			{id: "s2", hostname: "h", port: 1, pid: "slave(2)@x:9"}, {id: "s3", hostname: "g", port: 1, pid: "slave(1)@y:9"}]}).agentLabel.values()]`,
			`["h:1 slave(1)","h:1 slave(2)","g:1"]`},
		{"roles tree", `(() => { const walk = (n) => n.name + (n.role ? "" : "?") + (n.children.length ? "(" + n.children.map(walk).join(",") + ")" : "");
			return r.tree([{name: "eng/web"}, {name: "ops"}, {name: "*"}, {name: "a/b/c"}, {name: "eng"}]).map(walk); })()`,
			`["*","a?(a/b?(a/b/c))","eng(eng/web)","ops"]`},
		{"agent on this page's port", `a.agentBase({pid: "slave(2)@127.0.0.1:40000", port: ` + fmt.Sprint(port) + `})`,
			`{"base":"slave(2)/","sameOrigin":true}`},
		{"agent on its own port", `a.agentBase({pid: "slave(1)@127.0.0.9:40000", port: 5051})`,
			`{"base":"http://127.0.0.9:5051/slave(1)/","sameOrigin":false}`},
		{"agent without a PID", `a.agentBase({pid: ""})`, `null`},
		{"a stream delta folds into the summaries", `(() => { const m = new Map([["a", {id: "a", x: 1}], ["b", {id: "b"}]]);
			l.apply(m, {added: [{id: "c"}], updated: [{id: "a", x: 2}], removed: ["b"]}); return [...m.values()]; })()`,
			`[{"id":"a","x":2},{"id":"c"}]`},
		{"task changes newest first", `(() => { const v = new l.Live(); v.snapshot({overview: {id: "m"}, frameworks: []}, false);
			v.delta({tasks: [{id: "1"}, {id: "2"}]}); v.delta({tasks: [{id: "3"}]}); return v.recent.map((t) => t.id); })()`, `["3","2","1"]`},
		{"active tasks of a summary", `l.activeTasks({TASK_STAGING: 1, TASK_RUNNING: 2, TASK_KILLING: 1, TASK_FINISHED: 5})`, `4`},
	}
	for _, c := range cases {
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`Promise.all([import("/static/js/format.js"), import("/static/js/model.js"),
			import("/static/js/pages/roles.js"), import("/static/js/api.js"), import("/static/js/live.js")]).then(([f, m, r, a, l]) => JSON.stringify(`+c.expr+`))`,
			chromedp.EvalAwaitPromise))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: %s is %s, want %s", c.name, c.expr, got, c.want)
		}
	}
	for _, pr := range b.log.take() {
		t.Errorf("loading the modules: %s", pr)
	}
}

// The sandbox page follows stdout as the task writes it, without a
// reload; the "why no offer" page of a framework that suppressed its
// offers says so.
func TestWebUILiveTailAndExplain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster and a browser")
	}
	b := startBrowser(t)
	addr, base := startLocalForUI(t, 1)

	// A task that prints a line, then another once the test makes a file.
	marker := filepath.Join(harness.TempDir(t), "go-on")
	harness.StartProc(t, "mesos-execute", "--master="+addr, "--name=webui-tail", "--framework_name=webui-tailer",
		"--command=echo first-line; while [ ! -e "+marker+" ]; do sleep 0.1; done; echo second-line; sleep 600")
	var frameworkID, agentID string
	harness.Eventually(t, 30*time.Second, func() bool {
		page, err := harness.GetJSON(base + "tasks?task_id=webui-tail")
		if err != nil {
			return false
		}
		for _, tk := range page["tasks"].([]any) {
			task := tk.(map[string]any)
			if task["state"] == "TASK_RUNNING" {
				frameworkID, agentID = task["framework_id"].(string), task["slave_id"].(string)
				return true
			}
		}
		return false
	}, "webui-tail running")

	b.open(base, "#/agents/"+agentID+"/frameworks/"+frameworkID+"/executors/webui-tail/browse", shows("#tail-stdout", "first-line"))
	b.run("marking the page", chromedp.Evaluate[bool]("window.notReloaded = true"))
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the second line in the live tail", shows("#tail-stdout", "first-line", "second-line"))
	b.run("no reload happened", chromedp.Evaluate[bool]("window.notReloaded === true"))
	b.check("sandbox-tail")
	// stdout's download link gives the whole file.
	href, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll('.tail-head')].find((d) => d.textContent.includes('stdout')).querySelector('a').href`))
	if err != nil {
		t.Fatalf("the stdout download link: %v", err)
	}
	resp, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "first-line\nsecond-line") {
		t.Errorf("downloading %s: %d %q", href, resp.StatusCode, body)
	}

	// A framework that suppressed its offers: its page names the reason.
	s := harness.NewSched()
	d, err := sched.NewMesosSchedulerDriver(sched.DriverConfig{Scheduler: s.AsScheduler(), Master: addr,
		Framework: &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("webui-suppressed"), Role: proto.String("quiet")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop(false) })
	if _, err := d.Start(); err != nil {
		t.Fatal(err)
	}
	suppressedID := harness.Recv(t, s.Registered, 30*time.Second, "registration").GetValue()
	// The offer it holds is on the offers page (read from /master/offers,
	// not /master/state), under the framework's name.
	offer := harness.Recv(t, s.Offers, 30*time.Second, "an offer")[0]
	b.open("", "#/offers", shows("#offers", offer.GetId().GetValue(), "webui-suppressed")+" && "+
		shows("#offers-by-framework", "webui-suppressed"))
	b.check("offers-outstanding")
	if _, err := d.DeclineOffer(offer.GetId(), &mesos.Filters{RefuseSeconds: proto.Float64(1)}); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the declined offer to leave the offers page", "!"+text("#offers")+".includes("+jsString(offer.GetId().GetValue())+")")
	if _, err := d.SuppressOffers(); err != nil {
		t.Fatal(err)
	}
	b.open("", "#/frameworks/"+suppressedID+"/explain", shows("#explain", "Suppressed", "quiet")+" && "+shows("#explain-agents", "not offered"))
	b.check("explain-suppressed")
}
