// Copyright The tracebridge Authors
// SPDX-License-Identifier: Apache-2.0

// Package storagetest holds an in-memory storage client for the exporter's tests: the assembler's
// journal and the uploader's delivered ledger both keep their state in a storage extension.
package storagetest // import "github.com/tracebridge/tracebridge/exporter/langsmithexporter/internal/storagetest"

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// Mem is an in-memory storage.Client (with Walk), standing in for file_storage.
type Mem struct {
	mu sync.Mutex
	kv map[string][]byte
	// FailSet makes every batch holding a Set fail, as a full disk would.
	FailSet atomic.Bool
	closes  int
}

// NewMem returns an empty store.
func NewMem() *Mem { return &Mem{kv: make(map[string][]byte)} }

// Get returns the value of k (nil when absent).
func (m *Mem) Get(_ context.Context, k string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.kv[k], nil
}

// Set stores v under k.
func (m *Mem) Set(ctx context.Context, k string, v []byte) error {
	return m.Batch(ctx, storage.SetOperation(k, v))
}

// Delete removes k.
func (m *Mem) Delete(ctx context.Context, k string) error {
	return m.Batch(ctx, storage.DeleteOperation(k))
}

// Batch applies ops all at once, or none of them when FailSet is on and one is a Set.
func (m *Mem) Batch(_ context.Context, ops ...*storage.Operation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, op := range ops {
		if op.Type == storage.Set && m.FailSet.Load() {
			return errors.New("disk full")
		}
	}
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			op.Value = m.kv[op.Key]
		case storage.Set:
			m.kv[op.Key] = slices.Clone(op.Value)
		case storage.Delete:
			delete(m.kv, op.Key)
		}
	}
	return nil
}

// Walk calls fn for every key, in key order.
func (m *Mem) Walk(_ context.Context, fn storage.WalkFunc) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(m.kv)) {
		if _, err := fn(k, m.kv[k]); err != nil {
			return err
		}
	}
	return nil
}

// Close counts the closes.
func (m *Mem) Close(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closes++
	return nil
}

// Closes is how many times Close was called.
func (m *Mem) Closes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closes
}

// Keys lists the stored keys, sorted.
func (m *Mem) Keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.kv))
}
