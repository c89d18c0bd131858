from chef.cli import run

run()
