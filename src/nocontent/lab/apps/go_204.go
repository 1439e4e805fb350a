// A minimal Go net/http app for the nocontent frameworks lab (python -m nocontent lab capture).
// Standard library only. Usage: go_204 PORT. Each route answers DELETE with a 204 written one way.
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
)

// note prints what the handler saw, for the capture tool to keep (lines starting with "LAB ").
func note(format string, args ...any) {
	fmt.Printf("LAB "+format+"\n", args...)
}

func main() {
	mux := http.NewServeMux()
	// The idiomatic 204: set the status, write nothing.
	mux.HandleFunc("/idiomatic", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	// The mistake: a JSON helper writes "null" after WriteHeader(204).
	mux.HandleFunc("/mistake", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNoContent)
		n, err := w.Write([]byte("null"))
		note("mistake: Write returned %d, %v", n, err)
	})
	// Another mistake: a Content-Length set by hand before the 204 (as some CORS code does).
	mux.HandleFunc("/content-length", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("/names", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"version":                    runtime.Version(),
			"http.StatusNoContent":       http.StatusNoContent,
			"http.StatusText(204)":       http.StatusText(http.StatusNoContent),
		})
	})
	addr := "127.0.0.1:" + os.Args[1]
	if err := http.ListenAndServe(addr, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
