package main

import (
	"syscall"
	"unsafe"
)

// ioctlGetTermios succeeds only on a terminal (what isatty(3) asks).
func ioctlGetTermios(fd int) (*syscall.Termios, error) {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), uintptr(syscall.TCGETS), uintptr(unsafe.Pointer(&t)))
	if errno != 0 {
		return nil, errno
	}
	return &t, nil
}
