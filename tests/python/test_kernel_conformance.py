"""jupyter_kernel_test's conformance checks against the installed parallel-rust kernel."""
import unittest

import jupyter_kernel_test as jkt


class ParallelRustKernelTests(jkt.KernelTests):
    kernel_name = "parallel-rust"
    language_name = "python"
    file_extension = ".py"

    code_hello_world = "print('hello, world')"
    code_stderr = "import sys; print('oops', file=sys.stderr)"
    completion_samples = [{"text": "zi", "matches": {"zip"}}]
    complete_code_samples = ["1", "print('x')", "import os"]
    incomplete_code_samples = ["for i in range(3):", "def f(x):"]
    invalid_code_samples = ["import = 7q"]
    code_execute_result = [{"code": "6*7", "result": "42"}, {"code": "'a' * 3", "result": "'aaa'"}]
    code_display_data = [
        {"code": "from IPython.display import HTML, display; display(HTML('<b>x</b>'))", "mime": "text/html"},
    ]
    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "6?7"
    code_inspect_sample = "print"
    code_clear_output = "from IPython.display import clear_output; clear_output()"
    code_generate_error = "raise ValueError('boom')"


class ParallelRustWelcome(jkt.IopubWelcomeTests):
    kernel_name = "parallel-rust"
    support_iopub_welcome = True


def test_language_info_names_the_local_pythons_version():
    import platform

    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="parallel-rust")
    try:
        info = kc.kernel_info(reply=True, timeout=30)["content"]["language_info"]
        # The kernelspec runs this interpreter (conftest installs it with --python).
        assert info["name"] == "python"
        assert info["version"] == platform.python_version(), info
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    unittest.main()
