// The checker's own test: the real docker-compose.yml passes with the topology the README describes, and three
// broken variants of it are refused with the reason. `npm run compose:check` runs it before checking the file, so
// a checker that would accept anything cannot pass.
package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The compose file this checker guards; a variant is written beside it so that its build context (.) and
// Dockerfile resolve the same way.
var composeFile = filepath.Join("..", "..", "docker-compose.yml")

func TestTheComposeFileIsValid(t *testing.T) {
	problems, services, err := check(composeFile)
	if err != nil || len(problems) > 0 {
		t.Fatalf("docker-compose.yml is refused: %v %v", err, problems)
	}
	want := "api, inventory, orders, payments, postgresql, shipping, temporal, temporal-schema, temporal-setup, temporal-ui"
	if got := strings.Join(services, ", "); got != want {
		t.Fatalf("services: got %s, want %s", got, want)
	}
}

func TestBrokenVariantsAreRefused(t *testing.T) {
	original, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	variants := []struct {
		breakage, from, to string
		reason             *regexp.Regexp
	}{
		{
			breakage: "a dependency condition the specification does not have",
			from:     "condition: service_completed_successfully",
			to:       "condition: service_done",
			reason:   regexp.MustCompile(`depends_on\.temporal-setup\.condition value must be one of 'service_started'`),
		},
		{
			breakage: "a worker whose entry has no source",
			from:     "dist/workers/payments.js",
			to:       "dist/workers/billing.js",
			reason:   regexp.MustCompile(`service payments: runs dist/workers/billing\.js, but there is no workers/billing\.ts`),
		},
		{
			breakage: "a property the specification does not have",
			from:     "  temporal-ui:\n",
			to:       "  temporal-ui:\n    replicas: 2\n",
			reason:   regexp.MustCompile(`services\.temporal-ui\.replicas false schema`),
		},
	}
	for _, variant := range variants {
		t.Run(variant.breakage, func(t *testing.T) {
			if !strings.Contains(string(original), variant.from) {
				t.Fatalf("docker-compose.yml no longer contains %q: update this variant", variant.from)
			}
			broken := filepath.Join(filepath.Dir(composeFile), ".compose-check-"+strings.ReplaceAll(t.Name(), "/", "-")+".yml")
			edited := strings.Replace(string(original), variant.from, variant.to, 1)
			if err := os.WriteFile(broken, []byte(edited), 0o644); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(broken)

			problems, _, err := check(broken)
			refusal := strings.Join(problems, "\n")
			if err != nil {
				refusal = err.Error()
			}
			if refusal == "" {
				t.Fatal("accepted")
			}
			if !variant.reason.MatchString(refusal) {
				t.Fatalf("refused for another reason: %s", refusal)
			}
		})
	}
}
