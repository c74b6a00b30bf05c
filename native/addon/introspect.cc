// introspect: what the server may know about a process, READ-ONLY.
//
// Node is multi-threaded, and the kernel refuses setns() of a mount namespace and
// unshare(CLONE_NEWUSER) to multi-threaded callers: so this addon never changes anything, it only
// looks (stat of /proc/PID/ns/*, capget). Everything that changes a process's view is the
// launcher's job.
#include <napi.h>

#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

// A PID argument: a positive integer that fits a pid_t. Throws TypeError (returns false) otherwise.
bool PidArgument(const Napi::CallbackInfo &info, pid_t *pid)
{
	Napi::Env env = info.Env();
	if (info.Length() != 1 || !info[0].IsNumber()) {
		Napi::TypeError::New(env, "expected one argument: a process ID (number)").ThrowAsJavaScriptException();
		return false;
	}
	double value = info[0].As<Napi::Number>().DoubleValue();
	if (!std::isfinite(value) || value != std::floor(value) || value < 1 || value > INT_MAX) {
		Napi::TypeError::New(env, "process ID must be a positive integer").ThrowAsJavaScriptException();
		return false;
	}
	*pid = static_cast<pid_t>(value);
	return true;
}

// namespaces(pid) → { mnt: 4026531841, uts: ..., ... } | null (process gone)
Napi::Value Namespaces(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	pid_t pid;
	if (!PidArgument(info, &pid))
		return env.Undefined();
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns", static_cast<int>(pid));
	DIR *dir = opendir(path);
	if (dir == nullptr)
		return env.Null();
	Napi::Object result = Napi::Object::New(env);
	int found = 0;
	while (struct dirent *entry = readdir(dir)) {
		if (entry->d_name[0] == '.')
			continue;
		struct stat st;
		// stat follows the link to the namespace; its inode is the namespace's identity. It fails
		// once the process has exited (a zombie has no namespaces left).
		if (fstatat(dirfd(dir), entry->d_name, &st, 0) < 0)
			continue;
		result.Set(entry->d_name, Napi::Number::New(env, static_cast<double>(st.st_ino)));
		found++;
	}
	closedir(dir);
	return found > 0 ? static_cast<Napi::Value>(result) : env.Null();
}

// capabilities(pid) → { effective, permitted, inheritable } as 16 hex digits (as /proc/PID/status
// prints CapEff), or null when the process is gone.
Napi::Value Capabilities(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	pid_t pid;
	if (!PidArgument(info, &pid))
		return env.Undefined();
	struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, pid };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	if (syscall(SYS_capget, &header, data) < 0) {
		if (errno == ESRCH)
			return env.Null();
		Napi::Error::New(env, std::string("capget: ") + strerror(errno)).ThrowAsJavaScriptException();
		return env.Undefined();
	}
	auto hex = [](uint32_t low, uint32_t high) {
		char buf[17];
		snprintf(buf, sizeof(buf), "%016" PRIx64, (static_cast<uint64_t>(high) << 32) | low);
		return std::string(buf);
	};
	Napi::Object result = Napi::Object::New(env);
	result.Set("effective", hex(data[0].effective, data[1].effective));
	result.Set("permitted", hex(data[0].permitted, data[1].permitted));
	result.Set("inheritable", hex(data[0].inheritable, data[1].inheritable));
	return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports)
{
	exports.Set("namespaces", Napi::Function::New(env, Namespaces, "namespaces"));
	exports.Set("capabilities", Napi::Function::New(env, Capabilities, "capabilities"));
	return exports;
}

} // namespace

NODE_API_MODULE(introspect, Init)
