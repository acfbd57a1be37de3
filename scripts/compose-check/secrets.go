package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

// secretName matches the environment variables that hold a secret, by name.
var secretName = regexp.MustCompile(`PASSWORD|_PWD$|TOKEN|SECRET|_KEYS?$`)

// urlPassword is the password of a URL such as postgres://user:password@host/db.
var urlPassword = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://[^:/@]*:([^@]*)@`)

// literalSecrets lists the secrets written in the compose file itself: every one must be a ${VAR} that the env file
// sets. It reads the file as written (anchors merged, nothing interpolated).
func literalSecrets(file string) ([]string, error) {
	options, err := cli.NewProjectOptions([]string{file}, cli.WithName("temporal-saga"), cli.WithInterpolation(false))
	if err != nil {
		return nil, err
	}
	model, err := options.LoadModel(context.Background())
	if err != nil {
		return nil, err
	}
	services, _ := model["services"].(map[string]any)
	var problems []string
	for name, definition := range services {
		service, _ := definition.(map[string]any)
		for variable, value := range environmentOf(service) {
			written := value
			if match := urlPassword.FindStringSubmatch(value); match != nil {
				written = match[1]
			} else if !secretName.MatchString(variable) {
				continue
			}
			if !strings.Contains(written, "${") {
				problems = append(problems, fmt.Sprintf("service %s: %s holds a secret written in the compose file; take it from the env file, as a ${VAR:?} that %s lists", name, variable, envExample))
			}
		}
	}
	sort.Strings(problems)
	return problems, nil
}

// environmentOf is a service's environment as written, in either of its two forms (a map, or a list of VAR=value).
func environmentOf(service map[string]any) map[string]string {
	environment := map[string]string{}
	switch entries := service["environment"].(type) {
	case map[string]any:
		for variable, value := range entries {
			environment[variable] = fmt.Sprint(value)
		}
	case []any:
		for _, entry := range entries {
			variable, value, _ := strings.Cut(fmt.Sprint(entry), "=")
			environment[variable] = value
		}
	}
	return environment
}

// ignoredEnvFileProblems says where .env, the file that holds the real secrets, is not ignored: git would commit
// it, or `docker compose build` would send it to the builder with the rest of the context.
func ignoredEnvFileProblems(dir string) (problems []string) {
	for _, ignoreFile := range []string{".gitignore", ".dockerignore"} {
		content, err := os.ReadFile(filepath.Join(dir, ignoreFile))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", ignoreFile, err))
			continue
		}
		ignored := false
		for _, line := range strings.Split(string(content), "\n") {
			if entry := strings.TrimSpace(line); entry == ".env" || entry == "/.env" {
				ignored = true
			}
		}
		if !ignored {
			problems = append(problems, fmt.Sprintf("%s does not list .env: the secrets would leave the machine", ignoreFile))
		}
	}
	return problems
}
