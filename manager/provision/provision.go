package provision

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/capstan-wifi/capstan/hal"
	"github.com/capstan-wifi/capstan/manager/dataplane"
	"github.com/capstan-wifi/capstan/manager/model"
)

// CAP is what provisioning knows about a joined CAP.
type CAP struct {
	Identity   string
	CommonName string
	Address    netip.Addr
	Radios     []Radio
}

// Radio is one radio of a CAP.
type Radio struct {
	ID    uint8
	MAC   string   // lower-case colon form, "" if the CAP did not say
	Bands []string // "2ghz", "5ghz", "6ghz"
	// Channels the radio supports, for channel selection; empty if the
	// CAP did not say.
	Channels []hal.Channel
}

// Interface is one provisioned interface: a radio's master or one of its
// slaves (virtual APs).
type Interface struct {
	Name          string `json:"name"`
	CAP           string `json:"cap"`
	Master        string `json:"master_interface,omitempty"` // "" for a master
	RadioID       uint8  `json:"radio_id"`
	RadioMAC      string `json:"radio_mac"`
	WLANID        uint8  `json:"wlan_id"`
	Static        bool   `json:"static"`
	Disabled      bool   `json:"disabled"`
	Configuration string `json:"configuration"`
	// Rule is the ID of the provisioning rule that made a dynamic
	// interface, 0 for static ones.
	Rule     int            `json:"rule,omitempty"`
	Settings model.Settings `json:"-"`
	// ChannelMHz is the frequency the manager selected for a master whose
	// channel profile leaves it open, 0 otherwise.
	ChannelMHz int `json:"selected_channel_mhz,omitempty"`
	// Error is why the interface cannot run, if it cannot.
	Error string `json:"error,omitempty"`
	// Forwarded counts a manager-forwarded interface's frames through its
	// TAP on the manager; nil for local forwarding.
	Forwarded *dataplane.Counters `json:"forwarded,omitempty"`
	// TAP is the Linux interface of a manager-forwarded interface on the
	// manager (dataplane.LinkName of Name).
	TAP string `json:"tap,omitempty"`
	// Clients is how many wireless clients the interface has, as the
	// control plane lists it.
	Clients int `json:"clients"`
}

// Result is a CAP's provisioning.
type Result struct {
	// Interfaces by radio ID: the master first, then its slaves. A radio
	// without interfaces is switched off.
	Interfaces map[uint8][]Interface
	// Create are the static interfaces a create-enabled or create-disabled
	// rule asks to add to the configuration, masters before their slaves.
	Create []model.Change
}

// Names says which interface names other CAPs' dynamic interfaces hold.
type Names interface {
	Taken(name string) bool
	// FirstFree returns an n such that base1 … base(n-1) are all taken
	// (1 when nothing is known), so that numbering does not scan from 1.
	FirstFree(base string) int
}

// TakenFunc is Names from a predicate, without numbering hints.
type TakenFunc func(string) bool

// Taken implements Names.
func (f TakenFunc) Taken(name string) bool { return f(name) }

// FirstFree implements Names.
func (TakenFunc) FirstFree(string) int { return 1 }

// Provision runs the static interfaces and the rules for every radio of
// cap. names reports which interface names other CAPs' dynamic interfaces
// hold; static names are checked against cfg.
func Provision(cfg *model.Config, cap CAP, names Names) Result {
	res := Result{Interfaces: map[uint8][]Interface{}}
	used := map[string]bool{}
	isTaken := func(n string) bool {
		_, static := cfg.Named("interface", n)
		return static || used[n] || names.Taken(n)
	}
	for _, r := range cap.Radios {
		if ifs := staticInterfaces(cfg, r); ifs != nil {
			for i := range ifs {
				ifs[i].CAP = cap.Identity
			}
			res.Interfaces[r.ID] = ifs
			continue
		}
		rule, ok := Match(cfg, cap, r)
		if !ok {
			continue
		}
		act := rule.String("action")
		if act == "" || act == model.ActionNone {
			continue
		}
		base, numbered := formatName(rule, cap, r)
		name := uniqueName(base, numbered, names.FirstFree(base), isTaken)
		used[name] = true
		confs := append([]string{rule.String("master-configuration")}, rule.Strings("slave-configurations")...)
		var ifs []Interface
		for i, conf := range confs {
			it := Interface{Name: name, CAP: cap.Identity, RadioID: r.ID, RadioMAC: r.MAC, WLANID: uint8(i + 1), Configuration: conf,
				Disabled: act == model.ActionCreateDisabled, Static: act != model.ActionCreateDynamicEnabled}
			if i > 0 {
				it.Master, it.Name = name, uniqueName(fmt.Sprintf("%s-%d", name, i), false, 1, isTaken)
				used[it.Name] = true
			}
			if !it.Static {
				it.Rule = rule.ID
			}
			it.Settings, it.Error = settings(cfg, model.Item{Values: map[string]any{"configuration": conf}}, it.Name)
			ifs = append(ifs, it)
			if it.Static && r.MAC != "" {
				res.Create = append(res.Create, creation(it, i == 0))
			}
		}
		res.Interfaces[r.ID] = ifs
	}
	return res
}

// creation is the configuration change that adds static interface it.
func creation(it Interface, master bool) model.Change {
	ch := model.Change{"name": it.Name, "configuration": it.Configuration}
	if master {
		ch["radio-mac"] = it.RadioMAC
	} else {
		ch["master-interface"] = it.Master
	}
	if it.Disabled {
		ch["disabled"] = true
	}
	return ch
}

// staticInterfaces are the static master bound to r's MAC and its slaves,
// nil if there is no such master.
func staticInterfaces(cfg *model.Config, r Radio) []Interface {
	if r.MAC == "" {
		return nil
	}
	master, ok := cfg.InterfaceByRadioMAC(r.MAC)
	if !ok {
		return nil
	}
	out := []Interface{staticInterface(cfg, master, r, 1, "")}
	for _, it := range cfg.Slaves(master.Name()) {
		out = append(out, staticInterface(cfg, it, r, uint8(len(out)+1), master.Name()))
	}
	return out
}

func staticInterface(cfg *model.Config, it model.Item, r Radio, wlan uint8, master string) Interface {
	i := Interface{Name: it.Name(), Master: master, RadioID: r.ID, RadioMAC: r.MAC, WLANID: wlan, Static: true,
		Disabled: it.Disabled(), Configuration: it.String("configuration")}
	i.Settings, i.Error = settings(cfg, it, i.Name)
	return i
}

func settings(cfg *model.Config, it model.Item, name string) (model.Settings, string) {
	s, err := model.SettingsOf(cfg.Resolve(it), "interface "+name)
	if err != nil {
		return s, err.Error()
	}
	if s.SSID == "" {
		return s, "no ssid: set one on its configuration or as configuration.ssid"
	}
	return s, ""
}

// Match returns the first enabled provisioning rule that matches radio r
// of cap.
func Match(cfg *model.Config, cap CAP, r Radio) (model.Item, bool) {
	for _, rule := range cfg.Items("provisioning") {
		if !rule.Disabled() && matches(rule, cap, r) {
			return rule, true
		}
	}
	return model.Item{}, false
}

func matches(rule model.Item, cap CAP, r Radio) bool {
	if mac := rule.String("radio-mac"); mac != "" && mac != r.MAC {
		return false
	}
	for _, b := range rule.Strings("hw-supported-modes") {
		if !slices.Contains(r.Bands, b) {
			return false
		}
	}
	if re := rule.String("identity-regexp"); re != "" && !model.Compiled(re).MatchString(cap.Identity) {
		return false
	}
	if re := rule.String("common-name-regexp"); re != "" && !model.Compiled(re).MatchString(cap.CommonName) {
		return false
	}
	if ranges := rule.Strings("ip-address-ranges"); len(ranges) > 0 {
		return slices.ContainsFunc(ranges, func(s string) bool {
			rg, err := model.ParseIPRange(s)
			return err == nil && rg.Contains(cap.Address)
		})
	}
	return true
}
