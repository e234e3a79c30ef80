package executordriver

// mesos-go's executor package imports glog, so legacy executors are started
// with glog's flags (-logtostderr, -v, ...) by their schedulers. Importing it
// here keeps those command lines valid after porting.
import _ "github.com/golang/glog"
