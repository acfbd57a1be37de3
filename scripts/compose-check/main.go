// compose-check validates docker-compose.yml with compose-go, the loader `docker compose` itself uses (schema,
// interpolation, references between services), with the committed .env.example as its environment, so that a clean
// clone without a .env validates. Then it checks what the loader cannot: that every build context has its
// Dockerfile and every compiled entry a service runs has its TypeScript source; that the ports without
// authentication of their own are published on loopback only (exposure.go); that Temporal and every service
// connect to PostgreSQL as a user of their own, which owns their databases and reaches no other
// (database_users.go); and that secrets come from the env file, which neither git nor the image build takes
// (secrets.go). There is no Docker engine on CI machines, so this is how the file stays correct.
//
//	go run ./scripts/compose-check [compose file]
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	file := "docker-compose.yml"
	if len(os.Args) > 1 {
		file = os.Args[1]
	}
	problems, services, err := check(file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", file, err)
		os.Exit(1)
	}
	if len(problems) > 0 {
		for _, problem := range problems {
			fmt.Fprintf(os.Stderr, "%s: %s\n", file, problem)
		}
		os.Exit(1)
	}
	fmt.Printf("%s is valid: %s\n", file, strings.Join(services, ", "))
}

// envExample is the committed example of the env file, beside the compose file: its placeholders are the
// environment the file is validated with.
const envExample = ".env.example"

func check(file string) (problems []string, services []string, err error) {
	dir := filepath.Dir(file)
	options, err := cli.NewProjectOptions(
		[]string{file},
		cli.WithName("temporal-saga"),
		cli.WithResolvedPaths(true),
		cli.WithEnvFiles(filepath.Join(dir, envExample)),
		cli.WithDotEnv,
	)
	if err != nil {
		return nil, nil, err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return nil, nil, err
	}
	literal, err := literalSecrets(file)
	if err != nil {
		return nil, nil, err
	}
	problems = append(problems, literal...)
	problems = append(problems, ignoredEnvFileProblems(dir)...)
	problems = append(problems, exposedPorts(project)...)
	problems = append(problems, databaseUserProblems(project)...)
	for name, service := range project.Services {
		services = append(services, name)
		if service.Build == nil {
			continue
		}
		dockerfile := service.Build.Dockerfile
		if dockerfile == "" {
			dockerfile = "Dockerfile"
		}
		if _, statErr := os.Stat(filepath.Join(service.Build.Context, dockerfile)); statErr != nil {
			problems = append(problems, fmt.Sprintf("service %s: no %s in build context %s", name, dockerfile, service.Build.Context))
		}
		for _, argument := range service.Command {
			// dist/<path>.js is what `npm run build` compiles from <path>.ts.
			if source, compiled := strings.CutPrefix(argument, "dist/"); compiled && strings.HasSuffix(source, ".js") {
				source = strings.TrimSuffix(source, ".js") + ".ts"
				if _, statErr := os.Stat(filepath.Join(service.Build.Context, source)); statErr != nil {
					problems = append(problems, fmt.Sprintf("service %s: runs %s, but there is no %s to build it from", name, argument, source))
				}
			}
		}
	}
	sort.Strings(services)
	sort.Strings(problems)
	return problems, services, nil
}
