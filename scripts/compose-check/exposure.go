package main

import (
	"fmt"
	"net"
	"sort"

	"github.com/compose-spec/compose-go/v2/types"
)

// loopbackOnly are the container ports that have no authentication of their own: the host may reach them on
// loopback (127.0.0.1 or ::1), and nothing beyond it. The containers reach them on the compose network.
var loopbackOnly = map[uint32]string{
	5432: "PostgreSQL",
	7233: "the Temporal frontend",
	8080: "the Temporal Web UI",
	9464: "a worker's metrics",
}

// exposedPorts lists the ports of loopbackOnly that a service publishes beyond loopback; a port without a host
// address is published on every interface.
func exposedPorts(project *types.Project) (problems []string) {
	for name, service := range project.Services {
		for _, port := range service.Ports {
			what, internal := loopbackOnly[port.Target]
			if !internal {
				continue
			}
			if ip := net.ParseIP(port.HostIP); ip != nil && ip.IsLoopback() {
				continue
			}
			where := port.HostIP
			if where == "" {
				where = "all interfaces"
			}
			problems = append(problems, fmt.Sprintf("service %s: publishes %d (%s) on %s; publish it on 127.0.0.1 (\"127.0.0.1:%d:%d\"), or not at all", name, port.Target, what, where, port.Target, port.Target))
		}
	}
	sort.Strings(problems)
	return problems
}
