package tests

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/capstan-wifi/capstan/agent"
	"github.com/capstan-wifi/capstan/hal/sim"
	"github.com/capstan-wifi/capstan/internal/testtool"
	"github.com/capstan-wifi/capstan/manager/api"
)

// consoleArtifacts is where TestConsoleInBrowser keeps its screenshots.
func consoleArtifacts(t *testing.T) string {
	dir := os.Getenv("CAPSTAN_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "build", "artifacts")
	}
	dir = filepath.Join(dir, "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestConsoleInBrowser drives the web console in headless Chromium against
// a real manager with a simulated CAP: log in, see the CAP on the
// dashboard and in the CAP list, add a configuration, see a bad value's
// error at its field, and, as a read-only user, find no form and a change
// refused by the API itself. Every page is kept as a screenshot.
func TestConsoleInBrowser(t *testing.T) {
	chromium := testtool.Find(t, "chromium", "chromium")
	m := startManagerProc(t)
	m.cli(t, "user", "add", "name=admin", "group=full", "password=the admin's long password")
	m.cli(t, "user", "add", "name=viewer", "group=read", "password=the viewer's password")
	// The CAP's simulated radios have one client, associated as soon as
	// the first radio serves a WLAN.
	const clientMAC = "02:00:00:00:01:00"
	radios, err := sim.New(net.HardwareAddr{0x02, 0xca, 0x57, 0, 0, 0x10}, 2)
	if err != nil {
		t.Fatal(err)
	}
	mac, _ := net.ParseMAC(clientMAC)
	radios.SetStations([]net.HardwareAddr{mac})
	_, stopCAP := requestingAgent(t, 1, m.controlAddr(t), t.TempDir(), func(c *agent.Config) { c.HAL = radios })
	base := "http://" + m.file(api.AddressFile)
	shots := consoleArtifacts(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first call starts the browser for the context's whole life; each
	// step then gets a bound of its own.
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	step := func() (context.Context, context.CancelFunc) { return context.WithTimeout(browser, 30*time.Second) }
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, done := step()
		defer done()
		if err := chromedp.Do(ctx, actions...); err != nil {
			dctx, ddone := step()
			defer ddone()
			html, _ := chromedp.Run(dctx, chromedp.Evaluate[string](`location.href + "\n" + document.getElementById("main").outerHTML`))
			t.Fatalf("%s: %v\npage: %.3000s", what, err, html)
		}
	}
	text := func(sel string) string {
		t.Helper()
		ctx, done := step()
		defer done()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	shot := func(name string) {
		t.Helper()
		ctx, done := step()
		defer done()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	login := func(name, password string) {
		t.Helper()
		run("log in as "+name, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`input[name="name"]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), name), chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
			chromedp.Click(chromedp.CSS(`form.login button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`#nav a[data-page="caps"]`)))
	}
	// page opens a page afresh (a new fragment each time, so that the
	// console renders it again) and waits for ready.
	visits := 0
	page := func(hash, ready string) {
		t.Helper()
		visits++
		sep := "?"
		if strings.Contains(hash, "?") {
			sep = "&"
		}
		run("open "+hash, chromedp.Navigate(fmt.Sprintf("%s/#/%s%svisit=%d", base, hash, sep, visits)), chromedp.WaitVisible(chromedp.CSS(ready)))
	}

	run("the login page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`form.login`)))
	shot("login")
	run("a wrong password", chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "admin"), chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "not it"),
		chromedp.Click(chromedp.CSS(`form.login button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`#login-error:not(:empty)`)))
	loginErr := text(`#login-error`)
	if !strings.Contains(loginErr, "wrong name or password") {
		t.Errorf("login error %q", loginErr)
	}
	login("admin", "the admin's long password")
	var deadline time.Time
	// The CAP asks to be adopted (the manager's default policy is
	// approval): the dashboard shows it pending, the remote-CAP page
	// adopts it, and the dashboard then counts it in run.
	dashboardShows := func(card, want string) {
		t.Helper()
		deadline := time.Now().Add(45 * time.Second)
		for {
			page("dashboard", card)
			n := text(card + ` .n`)
			if n == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("dashboard %s: %q, want %s\nremote caps: %s\nmanager log:\n%s", card, n, want, m.cli(t, "remote-cap", "print", "--json"), m.log.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	dashboardShows(`#dash-pending`, "1")
	shot("dashboard-pending")
	page("pki", `main h1`)
	shot("pki-pending")
	// Loading the console again and again (each load a new document with
	// its own event stream) keeps working: pages left behind close their
	// streams instead of holding HTTP/1.1's six connections per host (the
	// sixth load waited about a minute for one before).
	for i := range 8 {
		run(fmt.Sprintf("load %d of 8", i+1), chromedp.Navigate(fmt.Sprintf("%s/?load=%d#/caps", base, i)), chromedp.WaitVisible(chromedp.CSS(`main[data-page="caps"] #caps-range`)))
	}
	page("caps", `#caps-range`)
	shot("remote-caps-pending")
	run("adopt the CAP", chromedp.Click(`//button[text()="Adopt"]`))
	dashboardShows(`#dash-run`, "1")
	ectxc, donec := step()
	label, err := chromedp.Run(ectxc, chromedp.Evaluate[string](`document.getElementById('chart-clients').getAttribute('aria-label')`))
	donec()
	if err != nil || !strings.Contains(label, "samples") {
		t.Errorf("the dashboard's client chart: %q, %v", label, err)
	}
	shot("dashboard")
	// On a phone (390 px wide): the page wraps instead of scrolling sideways.
	run("a phone's viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	page("dashboard", `#dash-run`)
	ectxp, donep := step()
	overflow, err := chromedp.Run(ectxp, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
	donep()
	if err != nil || overflow > 0 {
		t.Errorf("dashboard on a 390 px phone is %d px too wide (%v)", overflow, err)
	}
	shot("dashboard-phone")
	run("back to a desktop", chromedp.EmulateReset())
	page("caps", `#caps-range`)
	caps := text(`main table`)
	if !strings.Contains(caps, "current") {
		t.Errorf("remote CAPs page: the CAP's upgrade state is not current (same build as the manager):\n%s", caps)
	}
	if !strings.Contains(caps, "run") {
		t.Errorf("remote CAPs page shows no CAP in run:\n%s", caps)
	}
	shot("remote-caps")
	page("interfaces", `main h1`)
	shot("interfaces")
	page("clients", `main h1`)
	shot("registration-table")
	page("pki", `main h1`)
	shot("pki")
	page("users", `#user-form`)
	shot("users")

	// A configuration through the generated form, then the same name
	// again: the API's error shows at the name field.
	add := func(name string) {
		t.Helper()
		run("add configuration "+name, chromedp.Navigate(base+"/#/config?r=configuration"), chromedp.WaitVisible(chromedp.CSS(`#add-form`)),
			chromedp.SetValue(chromedp.CSS(`#add-form input[name="name"]`), name), chromedp.SetValue(chromedp.CSS(`#add-form input[name="ssid"]`), "Office"),
			chromedp.Click(chromedp.CSS(`#add-form button[type="submit"]`)))
	}
	add("office")
	run("the new row", chromedp.WaitVisible(`//td[text()="office"]`))
	shot("configuration")
	add("office")
	run("the field's error", chromedp.WaitVisible(chromedp.CSS(`#f-name-err:not(:empty)`)))
	fieldErr := text(`#f-name-err`)
	if !strings.Contains(fieldErr, "taken") {
		t.Errorf("error at the name field: %q, want it taken", fieldErr)
	}
	actx2, done := step()
	invalid, err := chromedp.Run(actx2, chromedp.AttributeValue(chromedp.CSS(`#add-form input[name="name"]`), "aria-invalid"))
	done()
	if err != nil || invalid.Value != "true" {
		t.Errorf("name field aria-invalid=%q (%v), want true", invalid.Value, err)
	}
	shot("configuration-error")

	// A provisioning rule through its generated form: the CAP's interface
	// comes up, its client shows in the registration table and is kicked.
	run("add a provisioning rule", chromedp.Navigate(base+"/#/config?r=provisioning"), chromedp.WaitVisible(chromedp.CSS(`#add-form`)),
		chromedp.SetValue(chromedp.CSS(`#add-form select[name="action"]`), "create-dynamic-enabled"),
		chromedp.SetValue(chromedp.CSS(`#add-form input[name="master-configuration"]`), "office"),
		chromedp.Click(chromedp.CSS(`#add-form button[type="submit"]`)), chromedp.WaitVisible(`//td[text()="create-dynamic-enabled"]`))
	shot("provisioning")
	until := func(what, hash, ready, xpath string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			page(hash, ready)
			ctx, done := step()
			n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.evaluate(%q, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null).snapshotLength`, xpath)))
			done()
			if err == nil && n > 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not shown after 30 s (%v)", what, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	until("the CAP's interface, running", "interfaces", `main h1`, `//tr[td[text()="cap1"] and td[contains(text(),"R")]]`)
	shot("interfaces-up")
	until("the client counted on its interface", "interfaces", `main h1`, `//tr[td[3][text()="cap1"] and td[7][text()="1"]]`)
	// The server filters and pages: by the client's CAP it is there, by
	// another CAP the page is empty; the same for the interfaces.
	until("the client, filtered by its CAP", "clients?cap=cap1", `main h1`, `//span[@id="clients-range" and text()="1–1 of 1"][//tr[td[text()="`+clientMAC+`"]]]`)
	until("no client of another CAP", "clients?cap=nocap", `main h1`, `//span[@id="clients-range" and text()="0–0 of 0"]`)
	until("no interface of another CAP", "interfaces?cap=nocap", `main h1`, `//span[@id="interfaces-range" and text()="0–0 of 0"]`)
	until("the client", "clients", `main h1`, `//td[text()="`+clientMAC+`"]`)
	shot("registration-table-client")
	// The live refresh may redraw the row between finding the button and
	// clicking it (chromedp's Click then names a node that is gone): find
	// and click in one script, until a button was there to click.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		ctx, done := step()
		clicked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(
			`(b => b ? (b.click(), true) : false)(document.evaluate(%q, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue)`,
			`//tr[td[text()="`+clientMAC+`"]]//button`)))
		done()
		if err == nil && clicked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kick the client: no Kick button to click after 30 s (%v)", err)
		}
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		page("clients", `main h1`)
		if !strings.Contains(text(`main`), clientMAC) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the kicked client is still in the registration table after 30 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The event log, live: the CAP stops and its loss shows up on the open
	// page, less than a second after the manager logged it.
	// A second tab keeps the remote-CAP page open: it must drop the CAP
	// by itself, from the event stream, without being reloaded.
	tab, closeTab := chromedp.NewContext(browser)
	defer closeTab()
	if err := chromedp.Do(tab); err != nil { // opens the tab for its context's life
		t.Fatalf("second tab: %v", err)
	}
	tctx, tdone := context.WithTimeout(tab, 30*time.Second)
	if err := chromedp.Do(tctx, chromedp.Navigate(base+"/#/caps"), chromedp.WaitVisible(`//td[text()="cap1"]`)); err != nil {
		t.Fatalf("second tab: %v", err)
	}
	tdone()
	page("events", `#events`)
	stopCAP()
	run("the CAP's loss on the events page", chromedp.WaitVisible(`//tbody[@id="events"]/tr[td[text()="CAP session ended"]]`))
	ectx0, done0 := step()
	latency, err := chromedp.Run(ectx0, chromedp.Evaluate[int](`Number([...document.querySelectorAll('#events tr')].find(r => r.cells[2].textContent === 'CAP session ended').dataset.latencyMs)`))
	done0()
	if err != nil || latency > 1000 {
		t.Errorf("the CAP loss reached the page %d ms after the manager logged it (%v), want under 1000", latency, err)
	}
	t.Logf("CAP loss on the events page %d ms after the manager logged it", latency)
	shot("events")
	tctx, tdone = context.WithTimeout(tab, 30*time.Second)
	_, err = chromedp.Run(tctx, chromedp.Poll[bool](`document.getElementById('caps-range') !== null && !document.evaluate('//td[text()="cap1"]', document, null, XPathResult.BOOLEAN_TYPE, null).booleanValue`))
	tdone()
	if err != nil {
		dctx, ddone := context.WithTimeout(tab, 5*time.Second)
		html, _ := chromedp.Run(dctx, chromedp.Evaluate[string](`document.getElementById("main").outerHTML.slice(0, 2000) + " stream=" + (typeof EventSource)`))
		ddone()
		t.Errorf("the open remote-CAP page still shows the stopped CAP: %v\n%s\nremote-cap print:\n%s", err, html, m.cli(t, "remote-cap", "print"))
	}
	// The CAP's certificate revoked from the PKI page (a second click
	// confirms).
	page("pki", `main h1`)
	run("revoke the CAP's certificate", chromedp.Click(`//tr[td[text()="cap"]]//button[text()="Revoke"]`),
		chromedp.WaitVisible(`//button[starts-with(text(),"Revoke ") and contains(text(),"Click again")]`),
		chromedp.Click(`//button[contains(text(),"Click again")]`), chromedp.WaitVisible(`//tr[td[text()="cap"] and td[text()="revoked"]]`))
	shot("pki-revoked")
	run("log out", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`form.login`)))

	// The read-only user: no form, and a change forced through the page's
	// own session is refused by the API.
	login("viewer", "the viewer's password")
	run("the configuration page", chromedp.Navigate(base+"/#/config?r=configuration"), chromedp.WaitVisible(`//td[text()="office"]`))
	ectx, done := step()
	hidden, err := chromedp.Run(ectx, chromedp.Evaluate[bool](`document.getElementById('add-form').hidden`))
	done()
	if err != nil || !hidden {
		t.Error("the read-only user sees the add form")
	}
	shot("configuration-read-only")
	ectx, done = step()
	status, err := chromedp.Run(ectx, chromedp.Evaluate[int](`(async () => {
		const s = await (await fetch('/api/v1/session')).json();
		const r = await fetch('/api/v1/configuration', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token}, body: JSON.stringify({name: 'sneaky'})});
		return r.status;
	})()`, chromedp.EvalAwaitPromise))
	done()
	if err != nil || status != 403 {
		t.Errorf("the read-only user's forced POST: %d (%v), want 403", status, err)
	}
	if out := m.cli(t, "configuration", "print"); strings.Contains(out, "sneaky") {
		t.Errorf("the read-only user's change was made:\n%s", out)
	}
	t.Logf("screenshots in %s", shots)
}
