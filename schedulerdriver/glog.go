package schedulerdriver

// mesos-go's scheduler package imports glog, so legacy frameworks are started
// with glog's flags (-logtostderr, -v, ...) by their operators. Importing it
// here keeps those command lines valid after porting.
import _ "github.com/golang/glog"
