// compose-check validates docker-compose.yml with compose-go, the loader `docker compose` itself uses (schema,
// interpolation, references between services), then checks what the loader cannot: that every build context has
// its Dockerfile and every compiled entry a service runs has its TypeScript source. There is no Docker engine on CI machines, so
// this is how the file stays correct.
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

func check(file string) (problems []string, services []string, err error) {
	options, err := cli.NewProjectOptions([]string{file}, cli.WithName("temporal-saga"), cli.WithResolvedPaths(true))
	if err != nil {
		return nil, nil, err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return nil, nil, err
	}
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
