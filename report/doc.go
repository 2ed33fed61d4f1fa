// Package report is coreview's output contract: the Report that analyze
// builds from a core, with its threads, frames and diagnoses, and the
// coreview.report/v1 JSON it writes (schema/report-v1.schema.json). Field
// names and typed values (Kind, Role, Method, ModuleStatus, StackKind) may
// be added to, never renamed. The crash signature is computed here from the
// report alone, so renderers and the scanner, which read only reports, and
// analyze agree on it. The package imports no other coreview package.
package report
