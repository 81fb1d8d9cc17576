//go:build linux

package hoplimit

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// Supported reports whether this platform can set hop limits.
const Supported = true

func set(rc syscall.RawConn, v6 bool, hops int) error {
	var serr error
	err := rc.Control(func(fd uintptr) {
		if v6 {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, hops)
			// An AF_INET6 socket also carries IPv4-mapped traffic, which uses IP_TTL. An
			// IPv6-only socket refuses it; that is fine.
			if e := unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL, hops); e != nil && !errors.Is(e, unix.ENOPROTOOPT) && !errors.Is(e, unix.EINVAL) {
				serr = errors.Join(serr, e)
			}
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL, hops)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("hoplimit: setting hop limit %d: %w", hops, err)
	}
	return nil
}

func get(rc syscall.RawConn, v6 bool) (int, error) {
	var v int
	var serr error
	err := rc.Control(func(fd uintptr) {
		if v6 {
			v, serr = unix.GetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS)
			return
		}
		v, serr = unix.GetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return 0, fmt.Errorf("hoplimit: reading hop limit: %w", err)
	}
	if v6 && v == -1 {
		// -1 means "the route's default"; report the value packets actually carry.
		v = defaultIPv6Hops()
	}
	return v, nil
}

// defaultIPv6Hops is what IPV6_UNICAST_HOPS -1 stands for: the system's default hop limit.
func defaultIPv6Hops() int { return 64 }
