from chef.cli import main

main(prog_name="chef")
