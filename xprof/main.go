package main
import ("os";"runtime/pprof";"github.com/coreview/coreview/analyze";"io")
func main(){ f,_:=os.Create("/tmp/cpu.prof"); pprof.StartCPUProfile(f); for i:=0;i<5;i++{ r,err:=analyze.Analyze(os.Args[1], analyze.Options{Binary: os.Args[2]}); if err!=nil{panic(err)}; r.WriteJSON(io.Discard)}; pprof.StopCPUProfile()
 m,_:=os.Create("/tmp/mem.prof"); r,_:=analyze.Analyze(os.Args[1], analyze.Options{Binary: os.Args[2]}); _=r; pprof.WriteHeapProfile(m) }
