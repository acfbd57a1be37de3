// The checker's own test: the real docker-compose.yml passes with the topology the README describes, and broken
// variants of it (or of its init SQL) are refused with the reason. `npm run compose:check` runs it before checking
// the file, so a checker that would accept anything cannot pass.
package main

import (
	"fmt"
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
	want := "api, codec-server, inventory, orders, payments, postgresql, shipping, temporal, temporal-schema, temporal-setup, temporal-ui"
	if got := strings.Join(services, ", "); got != want {
		t.Fatalf("services: got %s, want %s", got, want)
	}
}

// The init SQL the compose file mounts; a variant of it is written beside it and mounted instead.
var (
	initSQLPath  = filepath.Join("..", "postgres", "init-service-databases.sql")
	initSQLMount = "./scripts/postgres/init-service-databases.sql:"
)

const secretFromEnv = "${%s:?set it in .env, see .env.example}"

func fromEnv(variable string) string { return fmt.Sprintf(secretFromEnv, variable) }

func TestBrokenVariantsAreRefused(t *testing.T) {
	original, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	originalSQL, err := os.ReadFile(initSQLPath)
	if err != nil {
		t.Fatal(err)
	}
	variants := []struct {
		breakage, from, to string
		// inSQL: the edit is to the init SQL, not to the compose file.
		inSQL  bool
		reason *regexp.Regexp
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
		{
			breakage: "the Temporal frontend on all interfaces",
			from:     "'127.0.0.1:7233:7233'",
			to:       "'7233:7233'",
			reason:   regexp.MustCompile(`service temporal: publishes 7233 \(the Temporal frontend\) on all interfaces`),
		},
		{
			breakage: "the Web UI on every address",
			from:     "'127.0.0.1:8080:8080'",
			to:       "'0.0.0.0:8080:8080'",
			reason:   regexp.MustCompile(`service temporal-ui: publishes 8080 \(the Temporal Web UI\) on 0\.0\.0\.0`),
		},
		{
			breakage: "a service on the shared superuser",
			from:     "postgres://orders:" + fromEnv("ORDERS_DB_PASSWORD") + "@",
			to:       "postgres://postgres:" + fromEnv("POSTGRES_PASSWORD") + "@",
			reason:   regexp.MustCompile(`service orders: ORDERS_DATABASE_URL connects as the superuser postgres`),
		},
		{
			breakage: "a service on another service's user",
			from:     "postgres://inventory:" + fromEnv("INVENTORY_DB_PASSWORD") + "@",
			to:       "postgres://orders:" + fromEnv("ORDERS_DB_PASSWORD") + "@",
			reason:   regexp.MustCompile(`service inventory: INVENTORY_DATABASE_URL connects to inventory as orders, which does not own it`),
		},
		{
			breakage: "Temporal on the superuser",
			from:     "POSTGRES_USER: temporal",
			to:       "POSTGRES_USER: postgres",
			reason:   regexp.MustCompile(`service temporal: POSTGRES_USER connects as the superuser postgres`),
		},
		{
			breakage: "a password written in the file",
			from:     "POSTGRES_PWD: " + fromEnv("TEMPORAL_DB_PASSWORD"),
			to:       "POSTGRES_PWD: temporal",
			reason:   regexp.MustCompile(`service temporal: POSTGRES_PWD holds a secret written in the compose file`),
		},
		{
			breakage: "a secret the env file example does not list",
			from:     fromEnv("OPERATOR_TOKEN"),
			to:       fromEnv("OPERATOR_SECRET"),
			reason:   regexp.MustCompile(`required variable OPERATOR_SECRET is missing a value`),
		},
		{
			breakage: "the whole scripts folder as init scripts",
			from:     initSQLMount + "/docker-entrypoint-initdb.d/init-service-databases.sql:ro",
			to:       "./scripts/postgres:/docker-entrypoint-initdb.d:ro",
			reason:   regexp.MustCompile(`service postgresql: mounts \S*scripts/postgres into /docker-entrypoint-initdb\.d; mount the init \.sql file alone`),
		},
		{
			breakage: "a database left open to PUBLIC",
			inSQL:    true,
			from:     "ON DATABASE orders, inventory",
			to:       "ON DATABASE inventory",
			reason:   regexp.MustCompile(`database orders: CONNECT is still granted to PUBLIC`),
		},
		{
			breakage: "a service user that may create databases",
			inSQL:    true,
			from:     "CREATE ROLE payments LOGIN",
			to:       "CREATE ROLE payments LOGIN CREATEDB",
			reason:   regexp.MustCompile(`role payments is CREATEDB`),
		},
		{
			breakage: "Temporal's databases owned by the superuser",
			inSQL:    true,
			from:     "CREATE DATABASE temporal_visibility OWNER temporal;",
			to:       "CREATE DATABASE temporal_visibility;",
			reason:   regexp.MustCompile(`service temporal: POSTGRES_USER connects to temporal_visibility as temporal, which does not own it`),
		},
	}
	for _, variant := range variants {
		t.Run(variant.breakage, func(t *testing.T) {
			name := ".compose-check-" + strings.ReplaceAll(t.Name(), "/", "-")
			from, to := variant.from, variant.to
			if variant.inSQL {
				writeVariant(t, string(originalSQL), from, to, filepath.Join(filepath.Dir(initSQLPath), name+".sql"))
				from, to = initSQLMount, "./scripts/postgres/"+name+".sql:"
			}
			broken := filepath.Join(filepath.Dir(composeFile), name+".yml")
			writeVariant(t, string(original), from, to, broken)

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

// writeVariant writes content with its first `from` replaced by `to` to file, removed when the test ends.
func writeVariant(t *testing.T, content, from, to, file string) {
	t.Helper()
	if !strings.Contains(content, from) {
		t.Fatalf("%s no longer contains %q: update this variant", filepath.Base(file), from)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(content, from, to, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(file) })
}
