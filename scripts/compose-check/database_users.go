package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// initDir is where the postgres image looks for the scripts it runs when it initialises a volume.
const initDir = "/docker-entrypoint-initdb.d"

// forbiddenAttributes are role attributes no service's user needs; each reaches past the user's own databases.
var forbiddenAttributes = regexp.MustCompile(`(?i)\b(SUPERUSER|CREATEDB|CREATEROLE|REPLICATION|BYPASSRLS)\b`)

var (
	createRole     = regexp.MustCompile(`(?is)^CREATE\s+(ROLE|USER)\s+(\w+)(.*)$`)
	createDatabase = regexp.MustCompile(`(?is)^CREATE\s+DATABASE\s+(\w+)(?:.*\bOWNER\s*=?\s*(\w+))?`)
	revokeConnect  = regexp.MustCompile(`(?is)^REVOKE\s+CONNECT\s+ON\s+DATABASE\s+(.+?)\s+FROM\s+PUBLIC$`)
	sqlComment     = regexp.MustCompile(`--[^\n]*`)
)

// initSQL is what the init SQL sets up: login roles, each database's owner, and the databases PUBLIC may no longer
// connect to. It reads the file's plain statements (CREATE ROLE, CREATE DATABASE … OWNER, REVOKE CONNECT … FROM
// PUBLIC); psql's meta-commands (\getenv) are skipped.
type initSQL struct {
	file      string
	logins    map[string]bool
	owners    map[string]string
	revoked   map[string]bool
	databases []string
	problems  []string
}

func readInitSQL(file string) (*initSQL, error) {
	content, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	sql := &initSQL{file: file, logins: map[string]bool{}, owners: map[string]string{}, revoked: map[string]bool{}}
	var statements []string
	for _, line := range strings.Split(sqlComment.ReplaceAllString(string(content), ""), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), `\`) {
			statements = append(statements, line)
		}
	}
	for _, statement := range strings.Split(strings.Join(statements, "\n"), ";") {
		statement = strings.Join(strings.Fields(statement), " ")
		if match := createRole.FindStringSubmatch(statement); match != nil {
			role := strings.ToLower(match[2])
			sql.logins[role] = strings.EqualFold(match[1], "USER") || regexp.MustCompile(`(?i)\bLOGIN\b`).MatchString(match[3])
			for _, attribute := range forbiddenAttributes.FindAllString(match[3], -1) {
				sql.problems = append(sql.problems, fmt.Sprintf("role %s is %s: a service's user needs none of SUPERUSER, CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS", role, strings.ToUpper(attribute)))
			}
		} else if match := createDatabase.FindStringSubmatch(statement); match != nil {
			database := strings.ToLower(match[1])
			sql.databases = append(sql.databases, database)
			sql.owners[database] = strings.ToLower(match[2])
		} else if match := revokeConnect.FindStringSubmatch(statement); match != nil {
			for _, database := range strings.Split(match[1], ",") {
				sql.revoked[strings.ToLower(strings.TrimSpace(database))] = true
			}
		}
	}
	// `postgres`, the maintenance database every cluster has, would let any user in.
	for _, database := range append([]string{"postgres"}, sql.databases...) {
		if !sql.revoked[database] {
			sql.problems = append(sql.problems, fmt.Sprintf("database %s: CONNECT is still granted to PUBLIC, so every user can connect to it", database))
		}
	}
	for _, database := range sql.databases {
		if owner := sql.owners[database]; !sql.logins[owner] {
			sql.problems = append(sql.problems, fmt.Sprintf("database %s: owned by %q, not by a login role of this file", database, owner))
		}
	}
	return sql, nil
}

// connection is one way a service connects to PostgreSQL: through a variable, as a user, to databases (none when the
// service names them elsewhere, as the schema tool does on its command line).
type connection struct {
	service, variable, user string
	databases               []string
	// purpose groups the connections that may share a user: one service's database URL, or Temporal's databases.
	purpose string
}

// connectionsOf finds the PostgreSQL connections in a service's environment: `<SERVICE>_DATABASE_URL`s, the Temporal
// server's POSTGRES_USER (with its DBNAME and VISIBILITY_DBNAME), and temporal-sql-tool's SQL_USER.
func connectionsOf(name string, service types.ServiceConfig, postgresHost string) (connections []connection) {
	environment := map[string]string{}
	for variable, value := range service.Environment {
		if value != nil {
			environment[variable] = *value
		}
	}
	valueOr := func(variable, otherwise string) string {
		if value := environment[variable]; value != "" {
			return value
		}
		return otherwise
	}
	for variable, value := range environment {
		if !strings.HasSuffix(variable, "_DATABASE_URL") {
			continue
		}
		parsed, err := url.Parse(value)
		if err != nil || parsed.Hostname() != postgresHost {
			continue
		}
		database := strings.TrimPrefix(parsed.Path, "/")
		connections = append(connections, connection{name, variable, parsed.User.Username(), []string{database}, variable})
	}
	if strings.HasPrefix(environment["DB"], "postgres") && environment["POSTGRES_SEEDS"] == postgresHost {
		databases := []string{valueOr("DBNAME", "temporal"), valueOr("VISIBILITY_DBNAME", "temporal_visibility")}
		connections = append(connections, connection{name, "POSTGRES_USER", environment["POSTGRES_USER"], databases, "Temporal"})
	}
	if strings.HasPrefix(environment["SQL_PLUGIN"], "postgres") && environment["SQL_HOST"] == postgresHost {
		connections = append(connections, connection{name, "SQL_USER", environment["SQL_USER"], nil, "Temporal"})
	}
	return connections
}

// databaseUserProblems checks the PostgreSQL service's users against the connections of the other services: none
// connects as the superuser, each as a login role of the init SQL that owns the databases it connects to, and no
// user serves two purposes (two services, or a service and Temporal).
func databaseUserProblems(project *types.Project) (problems []string) {
	postgresName, postgres, found := postgresService(project)
	if !found {
		return nil
	}
	superuser := "postgres"
	if user := postgres.Environment["POSTGRES_USER"]; user != nil && *user != "" {
		superuser = *user
	}
	file, problem := initSQLFile(postgres)
	if problem != "" {
		return []string{fmt.Sprintf("service %s: %s", postgresName, problem)}
	}
	sql, err := readInitSQL(file)
	if err != nil {
		return []string{fmt.Sprintf("service %s: %v", postgresName, err)}
	}
	problems = append(problems, sql.problems...)
	purposes := map[string]map[string]bool{}
	for name, service := range project.Services {
		for _, c := range connectionsOf(name, service, postgresName) {
			switch {
			case c.user == superuser:
				problems = append(problems, fmt.Sprintf("service %s: %s connects as the superuser %s; give it a user of its own in %s", c.service, c.variable, c.user, filepath.Base(file)))
				continue
			case !sql.logins[c.user]:
				problems = append(problems, fmt.Sprintf("service %s: %s connects as %q, which %s does not create as a login role", c.service, c.variable, c.user, filepath.Base(file)))
				continue
			}
			for _, database := range c.databases {
				if sql.owners[database] != c.user {
					problems = append(problems, fmt.Sprintf("service %s: %s connects to %s as %s, which does not own it", c.service, c.variable, database, c.user))
				}
			}
			if purposes[c.user] == nil {
				purposes[c.user] = map[string]bool{}
			}
			purposes[c.user][c.purpose] = true
		}
	}
	for user, served := range purposes {
		if len(served) > 1 {
			names := make([]string, 0, len(served))
			for purpose := range served {
				names = append(names, purpose)
			}
			sort.Strings(names)
			problems = append(problems, fmt.Sprintf("user %s serves %s: one user per service", user, strings.Join(names, " and ")))
		}
	}
	sort.Strings(problems)
	return problems
}

// postgresService is the service that runs the postgres image.
func postgresService(project *types.Project) (string, types.ServiceConfig, bool) {
	for name, service := range project.Services {
		if service.Image == "postgres" || strings.HasPrefix(service.Image, "postgres:") {
			return name, service, true
		}
	}
	return "", types.ServiceConfig{}, false
}

// initSQLFile is the init SQL mounted into the postgres image's init folder, or why there is none to trust: a folder
// mounted there would have the image run every *.sh in it too.
func initSQLFile(postgres types.ServiceConfig) (file string, problem string) {
	for _, volume := range postgres.Volumes {
		if volume.Type != types.VolumeTypeBind || !strings.HasPrefix(volume.Target, initDir) {
			continue
		}
		info, err := os.Stat(volume.Source)
		if err != nil {
			return "", fmt.Sprintf("mounts %s into %s: %v", volume.Source, initDir, err)
		}
		if info.IsDir() || !strings.HasSuffix(volume.Source, ".sql") {
			return "", fmt.Sprintf("mounts %s into %s; mount the init .sql file alone, since the image runs every *.sh there too", volume.Source, initDir)
		}
		return volume.Source, ""
	}
	return "", fmt.Sprintf("mounts no init SQL into %s to create the users of the other services", initDir)
}
