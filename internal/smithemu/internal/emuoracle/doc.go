// Package emuoracle is the strict LangSmith emulator (package smithemu) as it was before its
// runs were stored as raw JSON text and its ingest validated in one pass, frozen as the oracle
// of smithemu's differential tests (differential_test.go): the same requests into both must get
// the same answers and leave the same runs, as every query renders them. Nothing but those
// tests imports it; it is not to be changed except to follow a deliberate change of the
// emulator's answers.
package emuoracle
