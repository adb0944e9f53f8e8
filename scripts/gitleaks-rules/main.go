// Command gitleaks-rules prints gitleaks' default rule set, at the version pinned in go.mod, as the JSON rule
// file modelgate's screening loads (src/screening/rules/gitleaks-rules.json).
//
// The rules (regex, keywords, entropy, secret group, allowlists) come from config.DefaultConfig, the
// gitleaks.toml that gitleaks itself embeds and ships. The positive and negative examples come from the rule
// constructors in cmd/generate/config/rules, which pass them to utils.Validate: run through
// scripts/gen-gitleaks-rules.sh, the build replaces that one function (and the random sample generator) with
// overlay/ files that record the examples deterministically instead of validating them.
//
// Usage: gitleaks-rules <gitleaks module dir> <rules.json> <examples.json>
// The LICENSE in the module dir is embedded in both outputs; the examples go to a file of their own because
// only the tests read them.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/cmd/generate/config/utils"
	"github.com/zricethezav/gitleaks/v8/config"
)

const modulePath = "github.com/zricethezav/gitleaks/v8"

type allowlistJSON struct {
	Description string `json:"description,omitempty"`
	// "or" (any criterion allows) or "and" (all must).
	Condition   string   `json:"condition"`
	RegexTarget string   `json:"regexTarget"`
	Regexes     []string `json:"regexes"`
	StopWords   []string `json:"stopWords"`
	// Path criteria cannot apply to a payload; recorded so the loader can tell an allowlist it must skip.
	HasPaths bool `json:"hasPaths"`
}

type examplesJSON struct {
	Positive []string `json:"positive"`
	Negative []string `json:"negative"`
}

type ruleJSON struct {
	ID          string          `json:"id"`
	Description string          `json:"description"`
	Regex       string          `json:"regex"`
	Path        string          `json:"path,omitempty"`
	SecretGroup int             `json:"secretGroup"`
	Entropy     float64         `json:"entropy"`
	Keywords    []string        `json:"keywords"`
	Tags        []string        `json:"tags"`
	Allowlists  []allowlistJSON `json:"allowlists"`
	Required    []string        `json:"requiredRules,omitempty"`
	SkipReport  bool            `json:"skipReport,omitempty"`
}

type sourceJSON struct {
	Module  string `json:"module"`
	Version string `json:"version"`
	License string `json:"license"`
	// The full licence text: MIT asks that it travel with substantial portions of the work.
	LicenseText string `json:"licenseText"`
}

type examplesFileJSON struct {
	Comment string                  `json:"comment"`
	Source  sourceJSON              `json:"source"`
	Rules   map[string]examplesJSON `json:"rules"`
}

type fileJSON struct {
	Comment    string          `json:"comment"`
	Source     sourceJSON      `json:"source"`
	Allowlists []allowlistJSON `json:"allowlists"`
	Rules      []ruleJSON      `json:"rules"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gitleaks-rules: "+format+"\n", args...)
	os.Exit(1)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func allowlists(in []*config.Allowlist) []allowlistJSON {
	out := []allowlistJSON{}
	for _, a := range in {
		regexes := []string{}
		for _, r := range a.Regexes {
			regexes = append(regexes, r.String())
		}
		condition := "or"
		if a.MatchCondition == config.AllowlistMatchAnd {
			condition = "and"
		}
		// gitleaks de-duplicates stop words through a map: sorted, the output is the same on every run.
		stopWords := append([]string{}, a.StopWords...)
		sort.Strings(stopWords)
		out = append(out, allowlistJSON{
			Description: a.Description,
			Condition:   condition,
			RegexTarget: a.RegexTarget,
			Regexes:     regexes,
			StopWords:   stopWords,
			HasPaths:    len(a.Paths) > 0,
		})
	}
	return out
}

func pinnedVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fail("no build info: run through go run or go build")
	}
	for _, dep := range info.Deps {
		if dep.Path == modulePath {
			return dep.Version
		}
	}
	fail("%s is not a dependency of this build", modulePath)
	return ""
}

func defaultConfig() config.Config {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(config.DefaultConfig)); err != nil {
		fail("reading gitleaks' default config: %v", err)
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		fail("decoding gitleaks' default config: %v", err)
	}
	cfg, err := vc.Translate()
	if err != nil {
		fail("translating gitleaks' default config: %v", err)
	}
	return cfg
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: gitleaks-rules <gitleaks module dir> <rules.json> <examples.json>")
	}
	licence, err := os.ReadFile(filepath.Join(os.Args[1], "LICENSE"))
	if err != nil {
		fail("reading the upstream licence: %v", err)
	}
	cfg := defaultConfig()

	constructed := map[string]bool{}
	for _, r := range ruleFunctions() {
		constructed[r.RuleID] = true
	}
	var missing, extra []string
	for id := range cfg.Rules {
		if !constructed[id] {
			missing = append(missing, id)
		}
	}
	for id := range constructed {
		if _, ok := cfg.Rules[id]; !ok {
			extra = append(extra, id)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		fail("rule_functions.go is out of step with the default config: no constructor for %v", missing)
	}
	if len(extra) > 0 {
		// Upstream has constructors that its default config leaves out (v8.30.1: gcp-service-account).
		fmt.Fprintf(os.Stderr, "gitleaks-rules: constructors not in the default config, skipped: %v\n", extra)
	}

	source := sourceJSON{
		Module:      modulePath,
		Version:     pinnedVersion(),
		License:     "MIT",
		LicenseText: string(licence),
	}
	out := fileJSON{
		Comment:    "Generated by scripts/gen-gitleaks-rules.sh from gitleaks' default configuration; do not edit.",
		Source:     source,
		Allowlists: allowlists(cfg.Allowlists),
	}
	examples := examplesFileJSON{
		Comment: "Generated by scripts/gen-gitleaks-rules.sh: each rule's true and false positives from its gitleaks constructor.",
		Source:  source,
		Rules:   map[string]examplesJSON{},
	}
	ids := append([]string(nil), cfg.OrderedRules...)
	sort.Strings(ids)
	for _, id := range ids {
		r := cfg.Rules[id]
		rj := ruleJSON{
			ID:          r.RuleID,
			Description: r.Description,
			SecretGroup: r.SecretGroup,
			Entropy:     r.Entropy,
			Keywords:    nonNil(r.Keywords),
			Tags:        nonNil(r.Tags),
			Allowlists:  allowlists(r.Allowlists),
			SkipReport:  r.SkipReport,
		}
		examples.Rules[id] = examplesJSON{
			Positive: nonNil(utils.RecordedExamples[id].Positive),
			Negative: nonNil(utils.RecordedExamples[id].Negative),
		}
		if r.Regex != nil {
			rj.Regex = r.Regex.String()
		}
		if r.Path != nil {
			rj.Path = r.Path.String()
		}
		for _, req := range r.RequiredRules {
			rj.Required = append(rj.Required, req.RuleID)
		}
		out.Rules = append(out.Rules, rj)
	}
	write(os.Args[2], out)
	write(os.Args[3], examples)
}

func write(path string, v any) {
	f, err := os.Create(path)
	if err != nil {
		fail("%v", err)
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		fail("writing %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		fail("%v", err)
	}
}
