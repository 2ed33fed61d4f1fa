package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/coreview/coreview/report"
)

// SARIF 2.1.0 (OASIS, sarif-v2.1.0-os), the subset GitHub code scanning
// reads: a run whose tool.driver names coreview and lists a rule per
// diagnosis kind; one result per crash group, its ruleId the diagnosis
// kind, level error, the crash in message.text, the first meaningful
// frame's source position as its location, the crashed thread's frames as
// a stack, and the signature hash as its partialFingerprints. Cores that
// could not be analyzed are the invocation's toolExecutionNotifications.

const sarifSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// srcRoot is the uriBaseId of source files under --source-root.
const srcRoot = "SRCROOT"

// SARIFOptions are what the SARIF output needs beyond the scan.
type SARIFOptions struct {
	// SourceRoot is the directory source files are reported relative to
	// (the repository's root, so GitHub can annotate the line); "" keeps
	// the paths DWARF gives.
	SourceRoot string
	// ToolVersion is coreview's version, for tool.driver.version.
	ToolVersion string
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                   `json:"tool"`
	Invocations        []sarifInvocation           `json:"invocations"`
	OriginalURIBaseIDs map[string]sarifArtifactLoc `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult               `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string                `json:"name"`
	Version        string                `json:"version,omitempty"`
	InformationURI string                `json:"informationUri"`
	Rules          []sarifReportingDescr `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifReportingDescr struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Stacks              []sarifStack      `json:"stacks,omitempty"`
	BaselineState       string            `json:"baselineState,omitempty"`
	OccurrenceCount     int               `json:"occurrenceCount"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	Message          *sarifText     `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLoc `json:"artifactLocation"`
	Region           *sarifRegion     `json:"region,omitempty"`
}

type sarifArtifactLoc struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifStack struct {
	Message sarifText    `json:"message"`
	Frames  []sarifFrame `json:"frames"`
}

type sarifFrame struct {
	Location sarifLocation `json:"location"`
	Module   string        `json:"module,omitempty"`
}

// sarifRuleIDs are the rules in tool.driver.rules, in order: every
// diagnosis kind, then the crash no diagnosis explains. Listing all of
// them, not only the ones this scan hit, keeps ruleIndex stable across
// runs.
func sarifRuleIDs() []string {
	var ids []string
	for _, k := range report.Kinds {
		ids = append(ids, string(k))
	}
	return append(ids, noDiagnosis)
}

// WriteSARIF writes the scan as a SARIF 2.1.0 log.
func (res *Result) WriteSARIF(w io.Writer, opts SARIFOptions) error {
	ids := sarifRuleIDs()
	index := map[string]int{}
	var rules []sarifReportingDescr
	for i, id := range ids {
		index[id] = i
		r := sarifRules[id]
		rules = append(rules, sarifReportingDescr{
			ID: id, Name: ruleName(id),
			ShortDescription:     sarifText{Text: r.short},
			FullDescription:      sarifText{Text: r.full},
			Help:                 sarifText{Text: r.help},
			DefaultConfiguration: sarifConfig{Level: "error"},
			Properties:           map[string]any{"tags": []string{"crash", "core-dump"}, "problem.severity": "error", "precision": "high"},
		})
	}
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: "coreview", Version: opts.ToolVersion,
			InformationURI: "https://github.com/coreview/coreview", Rules: rules}},
		Results: []sarifResult{},
	}
	root := ""
	if opts.SourceRoot != "" {
		abs, err := filepath.Abs(opts.SourceRoot)
		if err != nil {
			return fmt.Errorf("sarif: --source-root: %w", err)
		}
		root = filepath.Clean(abs)
		run.OriginalURIBaseIDs = map[string]sarifArtifactLoc{srcRoot: {URI: fileURI(root) + "/"}}
	}
	for _, g := range res.Groups {
		rule := g.Diagnosis
		if _, ok := index[rule]; !ok {
			rule = noDiagnosis
		}
		msg := g.Signature
		if g.Summary != "" {
			msg = g.Summary + " (" + g.Signature + ")"
		}
		if g.Count > 1 {
			msg += fmt.Sprintf("; %d cores", g.Count)
		}
		r := sarifResult{
			RuleID: rule, RuleIndex: index[rule], Level: "error",
			Message:   sarifText{Text: msg},
			Locations: []sarifLocation{sarifLoc(first(g.Stack), root)},
			// GitHub code scanning keys alerts on primaryLocationLineHash
			// alone; the signature hash is the crash's identity across
			// runs, rebuilds and line moves, so it is both.
			PartialFingerprints: map[string]string{"coreviewSignature/v1": g.SignatureHash, "primaryLocationLineHash": g.SignatureHash},
			OccurrenceCount:     g.Count,
			Properties:          map[string]any{"signature": g.Signature, "cores": g.Cores},
		}
		switch g.Baseline {
		case BaselineKnown:
			r.BaselineState = "unchanged"
		case BaselineNew:
			r.BaselineState = "new"
		}
		if len(g.Stack) > 0 {
			st := sarifStack{Message: sarifText{Text: "the crashed thread's first meaningful frames, in " + g.FirstCore}}
			for i := range g.Stack {
				st.Frames = append(st.Frames, sarifFrame{Location: sarifLoc(&g.Stack[i], root), Module: g.Stack[i].Module})
			}
			r.Stacks = []sarifStack{st}
		}
		run.Results = append(run.Results, r)
	}
	inv := sarifInvocation{ExecutionSuccessful: true}
	for _, row := range res.Rows {
		if row.Error == "" {
			continue
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level: "error", Message: sarifText{Text: row.Path + ": " + row.Error},
			Locations: []sarifLocation{{PhysicalLocation: &sarifPhysical{ArtifactLocation: sarifArtifactLoc{URI: pathURI(row.Path)}}}},
		})
	}
	run.Invocations = []sarifInvocation{inv}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

// ruleName is a rule's name, the kind in PascalCase ("StackOverflow"):
// SARIF wants a name readable by people that differs from the opaque id,
// even in case, so a one-word kind has none.
func ruleName(id string) string {
	if !strings.Contains(id, "-") {
		return ""
	}
	parts := strings.Split(id, "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// sarifLoc is a frame's SARIF location: the function, as a logical
// location, and its source file and line when DWARF gave them (relative to
// the source root when the file lies under it, so GitHub can annotate the
// line). A frame without a source line has no physical location: its
// module and offset are in the message, as the module file is not a text
// artifact a region could point into.
func sarifLoc(l *report.Location, root string) sarifLocation {
	if l == nil {
		return sarifLocation{Message: &sarifText{Text: "no frame of the crashed thread is known"}}
	}
	loc := sarifLocation{}
	if l.Function != "" {
		loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: l.Function, Kind: "function"}}
	}
	where := fmt.Sprintf("frame #%d %s", l.Frame, l.Function)
	if l.Module != "" {
		where += fmt.Sprintf(" in %s at offset %#x", l.Module, uint64(l.ModuleOffset))
	}
	if l.File != "" && l.Line > 0 {
		loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: artifact(l.File, root), Region: &sarifRegion{StartLine: l.Line, StartColumn: l.Column}}
	} else {
		where += " (no source line: the module has no DWARF line table, or none was found)"
	}
	loc.Message = &sarifText{Text: where}
	return loc
}

// artifact names a source file: relative to the source root (uriBaseId
// SRCROOT) when it lies under it, else as DWARF gave it.
func artifact(file, root string) sarifArtifactLoc {
	if root != "" && filepath.IsAbs(file) {
		if rel, err := filepath.Rel(root, filepath.Clean(file)); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return sarifArtifactLoc{URI: relURI(rel), URIBaseID: srcRoot}
		}
	}
	return sarifArtifactLoc{URI: pathURI(file)}
}

// pathURI is a path as a URI reference: file:///… for an absolute path,
// a relative reference (slashes, escaped) otherwise.
func pathURI(p string) string {
	if filepath.IsAbs(p) {
		return fileURI(p)
	}
	return relURI(p)
}

func fileURI(abs string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

func relURI(rel string) string {
	return (&url.URL{Path: filepath.ToSlash(rel)}).String()
}

// first is a stack's first location, nil for none.
func first(st []report.Location) *report.Location {
	if len(st) == 0 {
		return nil
	}
	return &st[0]
}
