module provstream/capture/native

go 1.19
